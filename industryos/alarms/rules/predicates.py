"""Key-filter predicates (STRING, NUMERIC, BOOLEAN, COMPLEX) over a device snapshot (§3.9).

Operations are tables of small functions, one per wire name. A value that cannot be read
as the filter's type makes the filter false, as in ThingsBoard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from industryos.alarms.rules.definition import KeyFilter
from industryos.alarms.rules.snapshot import Snapshot

__all__ = ["matches"]

Json = dict[str, Any]

_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "EQUAL": lambda a, b: a == b,
    "NOT_EQUAL": lambda a, b: a != b,
    "GREATER": lambda a, b: a > b,
    "LESS": lambda a, b: a < b,
    "GREATER_OR_EQUAL": lambda a, b: a >= b,
    "LESS_OR_EQUAL": lambda a, b: a <= b,
}

_STRING: dict[str, Callable[[str, str], bool]] = {
    "EQUAL": lambda a, b: a == b,
    "NOT_EQUAL": lambda a, b: a != b,
    "STARTS_WITH": lambda a, b: a.startswith(b),
    "ENDS_WITH": lambda a, b: a.endswith(b),
    "CONTAINS": lambda a, b: b in a,
    "NOT_CONTAINS": lambda a, b: b not in a,
    "IN": lambda a, b: a in [p.strip() for p in b.split(",")],
    "NOT_IN": lambda a, b: a not in [p.strip() for p in b.split(",")],
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, int | float):
        return value != 0
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _eval(predicate: Json, value: Any, snap: Snapshot) -> bool:
    kind = predicate.get("type")
    if kind == "COMPLEX":
        parts = [_eval(p, value, snap) for p in predicate.get("predicates") or []]
        return any(parts) if predicate.get("operation") == "OR" else all(parts)
    if value is None:
        return False
    operand = snap.dynamic(predicate.get("value"))
    op = str(predicate.get("operation", "EQUAL"))
    if kind == "NUMERIC":
        a, b = _number(value), _number(operand)
        fn = _NUMERIC.get(op)
        return a is not None and b is not None and fn is not None and fn(a, b)
    if kind == "BOOLEAN":
        x, y = _boolean(value), _boolean(operand)
        if x is None or y is None:
            return False
        return (x == y) if op == "EQUAL" else (x != y)
    if kind == "STRING":
        if operand is None:
            return False
        s, t = _text(value), _text(operand)
        if predicate.get("ignoreCase"):
            s, t = s.lower(), t.lower()
        fn_s = _STRING.get(op)
        return fn_s is not None and fn_s(s, t)
    return False


def matches(filters: tuple[KeyFilter, ...], snap: Snapshot) -> bool:
    """True when every filter holds (an empty condition never holds)."""
    if not filters:
        return False
    for f in filters:
        value = f.constant if f.key_type == "CONSTANT" else snap.value(f.key_type, f.key)
        if not _eval(f.predicate, value, snap):
            return False
    return True
