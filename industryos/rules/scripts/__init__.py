"""Rule-node scripts: ThingsBoard's ``function(msg, metadata, msgType)`` bodies in V8.

JavaScript runs in a V8 isolate per tenant (mini-racer), with a per-call time limit and
a per-isolate memory limit (:mod:`industryos.rules.scripts.engine`).

TBEL subset. TBEL (``scriptLang: "TBEL"``, field ``tbelScript``) is ThingsBoard's MVEL
dialect. IndustryOS runs TBEL sources in the same V8 isolate, as JavaScript, so what works
is the part of TBEL that is also JavaScript, which covers what the default chains and most
user scripts write:

* ``var`` declarations, ``if``/``else``, ``for (var i = 0; i < n; i++)``, ``while``,
  ``return``; ``==``, ``!=``, ``&&``, ``||``, ``!``, arithmetic, string ``+``, ``? :``;
* property access ``msg.temperature``, ``metadata.deviceName``, ``msg['key']``,
  ``delete msg.key``; object ``{a: 1}`` and list ``[1, 2]`` literals; ``.length``;
* ``JSON.stringify`` / ``JSON.parse``, ``parseInt``, ``parseFloat``, ``Math.*``,
  string methods shared by Java and JS (``indexOf``, ``substring``, ``toUpperCase``…).

Not supported (the script fails with a ``ScriptError`` naming the syntax error): MVEL-only
syntax such as ``foreach (x : list)``, ``def f() {}``, ``with (obj) {}``, inline
``#{...}`` maps, Java ``new java.util.HashMap()``, typed declarations (``int x = 1``),
and TBEL helper functions that JavaScript lacks (``toFixed`` works, ``stringToBytes`` does
not).
"""

from industryos.rules.scripts.engine import Script, ScriptEngine, ScriptLimits, TenantScripts

__all__ = ["Script", "ScriptEngine", "ScriptLimits", "TenantScripts"]
