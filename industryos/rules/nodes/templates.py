"""Configuration templates: ``${key}`` reads metadata, ``$[path.to.key]`` reads the JSON body."""

from __future__ import annotations

import re
from typing import Any

import orjson

from industryos.msg import Msg

__all__ = ["body_of", "fill", "json_text", "unresolved"]

_PATTERN = re.compile(r"\$\{([^}]+)\}|\$\[([^\]]+)\]")


def body_of(msg: Msg) -> Any:
    """The message body parsed (non-JSON text stays a string)."""
    try:
        return orjson.loads(msg.data)
    except orjson.JSONDecodeError:
        return msg.data


def json_text(value: Any) -> str:
    """JSON text of ``value`` (what ``Msg.data`` holds)."""
    return orjson.dumps(value).decode()


def _lookup(body: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(body, dict) or part not in body:
            return None
        body = body[part]
    return body


def fill(template: str, msg: Msg, body: Any = None) -> str:
    """Replace the placeholders of ``template``; unknown keys stay as written."""
    if "$" not in template:
        return template
    parsed = body if body is not None else None

    def replace(match: re.Match[str]) -> str:
        nonlocal parsed
        meta_key, data_key = match.group(1), match.group(2)
        if meta_key is not None:
            value = msg.metadata.get(meta_key)
            return match.group(0) if value is None else value
        if parsed is None:
            parsed = body_of(msg)
        found = _lookup(parsed, data_key)
        if found is None:
            return match.group(0)
        return found if isinstance(found, str) else json_text(found)

    return _PATTERN.sub(replace, template)


def unresolved(text: str) -> bool:
    """True when ``text`` (a filled template) still holds a placeholder nothing replaced."""
    return _PATTERN.search(text) is not None
