"""V8 isolates per tenant, with time and memory limits, and scripts that disable themselves.

Each tenant gets its own mini-racer isolate, so a tenant's runaway script can stall only
that tenant's scripts, never another tenant's, and never the scriptless device path
(mini-racer runs each isolate on its own thread). Calls into one isolate are serialised
so the time limit measures the script's own run, not its wait for the isolate.

* time: every call is cancelled after ``timeout_s`` (V8 terminates the execution);
* memory: a hard heap limit per isolate; a script that hits it gets :class:`ScriptMemory`
  and the isolate is thrown away and rebuilt (its globals may hold the garbage);
* a script that fails ``max_errors`` times in a row is disabled: further calls fail at
  once with the reason (readable through the engine's stats), until the chain is saved
  again (saving builds new :class:`Script` objects).

Each script body is compiled once per isolate into a named function that JSON-parses
its message argument and JSON-stringifies its result, so only strings cross the boundary.

Design limit: mini-racer isolates are threads of this process; a node with thousands of
active tenants would want a pool of isolates shared by tenant hash instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from py_mini_racer import JSEvalException, JSOOMException, JSTimeoutException, MiniRacer

from industryos.rules.errors import ScriptError, ScriptMemory, ScriptTimeout

__all__ = ["Script", "ScriptEngine", "ScriptLimits", "TenantScripts"]

log = logging.getLogger(__name__)

RULE_NODE_ARGS = ("msg", "metadata", "msgType")


@dataclass(frozen=True, slots=True)
class ScriptLimits:
    """Per-call time, per-isolate memory, and how many failures in a row disable a script."""

    timeout_s: float = 2.0
    max_memory_bytes: int = 64 * 1024 * 1024
    max_errors: int = 3


class _Isolate:
    """One V8 isolate and the functions already defined in it."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.racer = MiniRacer()
        self.racer.set_hard_memory_limit(limits.max_memory_bytes)
        self.defined: set[str] = set()

    def close(self) -> None:
        self.racer.close()


class TenantIsolate:
    """One tenant's isolate: defines functions once and runs them under the limits."""

    def __init__(self, limits: ScriptLimits) -> None:
        self._limits = limits
        self._isolate: _Isolate | None = None
        self._lock = asyncio.Lock()

    async def run(self, name: str, source: str, args_js: str) -> Any:
        """Define ``name`` if needed and call it; JSON result parsed, limits enforced."""
        timeout = self._limits.timeout_s
        async with self._lock:
            if self._isolate is None:
                self._isolate = _Isolate(self._limits)
            isolate = self._isolate
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel
                if name not in isolate.defined:
                    async with asyncio.timeout(timeout):
                        await isolate.racer.eval_cancelable(source)
                    isolate.defined.add(name)
                async with asyncio.timeout(timeout):
                    raw = await isolate.racer.eval_cancelable(f"{name}({args_js})")
            except (TimeoutError, JSTimeoutException):
                raise ScriptTimeout(f"Script timed out after {timeout:g} s") from None
            except JSOOMException:
                self._isolate = None
                isolate.close()
                raise ScriptMemory(
                    f"Script exceeded the memory limit of {self._limits.max_memory_bytes} bytes"
                ) from None
            except JSEvalException as exc:
                raise ScriptError(_first_line(str(exc))) from None
        if not isinstance(raw, str):
            raise ScriptError("Script returned no JSON value")
        return orjson.loads(raw)

    def close(self) -> None:
        """Throw the isolate away."""
        if self._isolate is not None:
            self._isolate.close()
            self._isolate = None


class TenantScripts:
    """What a script node gets: its tenant's isolate, reporting under the node's id."""

    def __init__(
        self,
        isolate: TenantIsolate,
        node_id: uuid.UUID,
        limits: ScriptLimits,
        disabled: dict[uuid.UUID, str],
    ) -> None:
        self.isolate = isolate
        self.node_id = node_id
        self._limits = limits
        self._disabled = disabled

    def compile(self, body: str, arg_names: Sequence[str] = RULE_NODE_ARGS) -> Script:
        """A callable script for ``body`` (the inside of ``function(msg, metadata, msgType)``)."""
        for arg in arg_names:
            if not arg.isidentifier():
                raise ScriptError(f"invalid script argument name {arg!r}")
        digest = hashlib.blake2b(
            (",".join(arg_names) + "\n" + body).encode(), digest_size=12
        ).hexdigest()
        name = f"__rule_node_{digest}"
        first, *rest = arg_names
        params = ", ".join(arg_names)
        source = (
            f"function {name}(__raw, {', '.join(rest)}) {{\n"
            f"  var {first};\n"
            f"  try {{ {first} = JSON.parse(__raw); }} catch (e) {{ {first} = __raw; }}\n"
            f"  var __result = (function({params}) {{\n{body}\n}})({params});\n"
            "  return JSON.stringify(__result === undefined ? null : __result);\n"
            "}"
        )
        return Script(self, name, source)

    def disable(self, reason: str) -> None:
        """Record that this node's script is disabled (shown by the stats endpoint)."""
        log.warning("script of rule node %s disabled: %s", self.node_id, reason)
        self._disabled[self.node_id] = reason

    @property
    def max_errors(self) -> int:
        """Failures in a row after which a script is disabled (0: never)."""
        return self._limits.max_errors


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "Script error"


class Script:
    """One compiled script body; call :meth:`invoke` with the rule-node arguments."""

    def __init__(self, scripts: TenantScripts, name: str, source: str) -> None:
        self._scripts = scripts
        self._name = name
        self._source = source
        self._failures = 0
        self.disabled_reason: str | None = None

    async def invoke(self, data: str, *args: Any) -> Any:
        """Run with the message text (parsed in JS) and further JSON arguments."""
        if self.disabled_reason is not None:
            raise ScriptError(f"Script is disabled: {self.disabled_reason}")
        args_js = ", ".join(orjson.dumps(a).decode() for a in (data, *args))
        try:
            result = await self._scripts.isolate.run(self._name, self._source, args_js)
        except ScriptError as exc:
            self.failed(str(exc))
            raise
        self._failures = 0
        return result

    def failed(self, reason: str) -> None:
        """Count a failure (also a wrong return type); disable after too many in a row."""
        self._failures += 1
        limit = self._scripts.max_errors
        if limit > 0 and self._failures >= limit:
            self.disabled_reason = f"{self._failures} consecutive failures, last: {reason}"
            self._scripts.disable(self.disabled_reason)


class ScriptEngine:
    """Hands out each tenant's isolate; knows which nodes' scripts are disabled and why."""

    def __init__(self, limits: ScriptLimits | None = None) -> None:
        self.limits = limits or ScriptLimits()
        self._tenants: dict[uuid.UUID, TenantIsolate] = {}
        self.disabled: dict[uuid.UUID, str] = {}
        """Rule node id → why its script is disabled."""

    def for_node(self, tenant_id: uuid.UUID, node_id: uuid.UUID) -> TenantScripts:
        """The tenant's isolate for ``node_id``'s scripts; a rebuilt node starts enabled."""
        self.disabled.pop(node_id, None)
        isolate = self._tenants.get(tenant_id)
        if isolate is None:
            isolate = self._tenants[tenant_id] = TenantIsolate(self.limits)
        return TenantScripts(isolate, node_id, self.limits, self.disabled)

    def close(self) -> None:
        """Throw every isolate away."""
        for isolate in self._tenants.values():
            isolate.close()
        self._tenants.clear()
