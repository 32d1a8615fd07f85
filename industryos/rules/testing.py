"""``/api/ruleChain/testScript``: run a script body once, as the editor's "Test" button does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson

from industryos.rules.errors import ScriptError
from industryos.rules.nodes.filter import js_type
from industryos.rules.scripts.engine import ScriptEngine

__all__ = ["run_test_script"]

_PRETTY = orjson.OPT_INDENT_2


def _expect_bool(result: Any) -> str:
    if not isinstance(result, bool):
        raise ScriptError(f"Wrong result type: {js_type(result)} (expected boolean)")
    return "true" if result else "false"


def _expect_labels(result: Any) -> str:
    if isinstance(result, str):
        result = [result]
    if not isinstance(result, list) or not all(isinstance(x, str) for x in result):
        raise ScriptError(f"Wrong result type: {js_type(result)} (expected string or array)")
    return orjson.dumps(result).decode()


def _expect_string(result: Any) -> str:
    if not isinstance(result, str):
        raise ScriptError(f"Wrong result type: {js_type(result)} (expected string)")
    return result


def _expect_object(result: Any) -> str:
    if not isinstance(result, dict | list):
        raise ScriptError(f"Wrong result type: {js_type(result)} (expected object)")
    return orjson.dumps(result, option=_PRETTY).decode()


_RENDER: dict[str, Callable[[Any], str]] = {
    "filter": _expect_bool,
    "switch": _expect_labels,
    "string": _expect_string,
    "update": _expect_object,
    "generate": _expect_object,
    "json": _expect_object,
}
"""``scriptType`` → check and render of the result (the output string of the editor)."""


async def run_test_script(engine: ScriptEngine, tenant_id: uuid.UUID, body: Any) -> dict[str, Any]:
    """``{output, error}`` for a ``{script, scriptType, argNames, msg, metadata, msgType}``."""
    if not isinstance(body, dict) or not isinstance(body.get("script"), str):
        return {"output": "", "error": "script should be specified"}
    render = _RENDER.get(str(body.get("scriptType") or "update"))
    if render is None:
        return {"output": "", "error": f"Unsupported script type: {body.get('scriptType')}"}
    arg_names = body.get("argNames") or ["msg", "metadata", "msgType"]
    msg = body.get("msg", "{}")
    msg_text = msg if isinstance(msg, str) else orjson.dumps(msg).decode()
    metadata = body.get("metadata") or {}
    try:
        scripts = engine.for_node(tenant_id, uuid.uuid4())
        script = scripts.compile(body["script"], [str(a) for a in arg_names])
        result = await script.invoke(msg_text, metadata, str(body.get("msgType") or ""))
        return {"output": render(result), "error": ""}
    except ScriptError as exc:
        return {"output": "", "error": str(exc)}
