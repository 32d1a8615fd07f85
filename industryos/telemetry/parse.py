"""Parsing of device and REST key/value JSON (device-api §1.1-1.3, platform-api §3.5).

The rules are ThingsBoard's ``JsonConverter``: strings that look like numbers are stored
as numbers (type cast), integral numbers become LONG (beyond int64: the plain digits as a
STRING), numbers with a ``.`` become DOUBLE unless they carry more than 16 decimals (then
STRING), objects and arrays become JSON, nulls are skipped on the device path and refused
on the REST path, and a ``{"ts", "values"}`` object carries its own (truncated) ts.

Those rules depend on the *text* of a number (``1e3`` is LONG, ``1.0`` is DOUBLE, ``0.1``
with 17 decimals is a STRING), which a float cannot tell. orjson parses every payload; only
a payload that contains an exponent or a run of 17+ digits is parsed a second time with the
standard library keeping each number's lexeme. The common payload never pays for that.

Design limit: type cast recognises ASCII digits only (Java's ``NumberUtils.isParsable``
also accepts other Unicode digits).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from industryos.telemetry.errors import InvalidEntryError, KvParseError
from industryos.telemetry.kv import (
    INT64_MAX,
    INT64_MIN,
    TS_MAX,
    TS_MIN,
    AttributeKvEntry,
    DataType,
    KvEntry,
    TsKvEntry,
    Value,
    check_key,
)

__all__ = [
    "DEVICE",
    "REST",
    "ParseOptions",
    "ParsedTelemetry",
    "TelemetryBody",
    "attributes_from_json",
    "loads",
    "parse_attributes",
    "parse_telemetry",
    "points_of",
    "telemetry_bodies",
    "telemetry_from_json",
    "values_json",
]


@dataclass(frozen=True, slots=True)
class ParseOptions:
    """Converter switches (ThingsBoard's ``transport.json.*`` settings)."""

    type_cast: bool = True
    """Store numeric strings as numbers; keep int64 overflow as a STRING instead of failing."""
    max_string_length: int = 0
    """Refuse longer string values (0 = no limit)."""
    skip_nulls: bool = True
    """Skip ``null`` values (devices) instead of refusing them (REST)."""


DEVICE = ParseOptions()
REST = ParseOptions(skip_nulls=False)

_NEEDS_EXACT = re.compile(rb"[0-9](?:[eE][-+]?[0-9]|[0-9]{16})")
"""A run of 17 digits or a digit before an exponent. The leading digit is factored out: the
search runs on every device payload, and this form scans it in half the time."""
_PARSABLE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")
_LONG_TEXT = re.compile(r"[-+]?[0-9]+")
_MAX_DIGITS = 400
"""A number with more digits or a larger exponent is kept as written: expanding it would
cost time and memory for nothing."""


class _Number(str):
    """The lexeme of a JSON number, kept by the exact (slow) path."""

    __slots__ = ()


def _refuse_constant(name: str) -> Any:
    raise KvParseError(f"Can't parse value: {name}")


def _number_to_fragment(value: Any) -> Any:
    if type(value) is _Number:
        return orjson.Fragment(str(value))
    raise TypeError(type(value).__name__)


def loads(payload: bytes | str) -> Any:
    """Parse JSON, keeping the lexeme of numbers whose type depends on it."""
    raw = payload.encode() if isinstance(payload, str) else payload
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if not _NEEDS_EXACT.search(raw):
            raise KvParseError(f"Invalid JSON: {exc}") from None
        # orjson refuses numbers beyond double range (1E400); ThingsBoard keeps them.
        return _exact_loads(raw)
    if _NEEDS_EXACT.search(raw):
        return _exact_loads(raw)
    return data


def _exact_loads(raw: bytes) -> Any:
    """The standard library parser keeping number lexemes, as strict as orjson on text."""
    try:
        data = json.loads(
            raw, parse_int=_Number, parse_float=_Number, parse_constant=_refuse_constant
        )
        _json_text(data)  # orjson refuses what it would not have parsed: lone surrogates
    except (ValueError, TypeError) as exc:
        raise KvParseError(f"Invalid JSON: {exc}") from None
    return data


def _json_text(value: Any) -> str:
    return orjson.dumps(
        value, default=_number_to_fragment, option=orjson.OPT_PASSTHROUGH_SUBCLASS
    ).decode()


def _from_number_text(text: str, type_cast: bool) -> tuple[Value, DataType]:
    """Type a number from its text exactly as ``JsonConverter.parseNumericValue`` does."""
    number = Decimal(text)
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if abs(exponent) > _MAX_DIGITS or len(digits) > _MAX_DIGITS:
        if type_cast:
            return text, DataType.STRING
        raise KvParseError(f"Can't parse value: {text}")
    scale = -exponent
    if any(digits):
        stripped_scale = scale - (len(digits) - len("".join(map(str, digits)).rstrip("0")))
    else:
        stripped_scale = 0
    simple_double = "." in text and "e" not in text and "E" not in text
    if stripped_scale <= 0 and not simple_double:
        value = int(number)
        if INT64_MIN <= value <= INT64_MAX:
            return value, DataType.LONG
    elif scale <= 16:
        return float(number), DataType.DOUBLE
    if type_cast:
        return format(number, "f"), DataType.STRING
    raise KvParseError("Big integer values are not supported!")


def _typed(key: str, value: Any, options: ParseOptions) -> tuple[Value, DataType] | None:
    """The stored form of one JSON value, or None for a skipped null."""
    kind = type(value)
    if kind is str:
        if options.max_string_length and len(value) > options.max_string_length:
            raise KvParseError(
                f"String value length [{len(value)}] for key [{key}] is greater than "
                f"maximum allowed [{options.max_string_length}]"
            )
        if options.type_cast and _PARSABLE.fullmatch(value):
            return _from_number_text(value, type_cast=True)
        return value, DataType.STRING
    if kind is bool:
        return value, DataType.BOOLEAN
    if kind is float:
        return value, DataType.DOUBLE
    if kind is int:
        if INT64_MIN <= value <= INT64_MAX:
            return value, DataType.LONG
        return _from_number_text(str(value), options.type_cast)
    if kind is _Number:
        return _from_number_text(value, options.type_cast)
    if kind is dict or kind is list:
        return _json_text(value), DataType.JSON
    if value is None and options.skip_nulls:
        return None
    raise KvParseError(f"Can't parse value: {_json_text(value)} of key [{key}]")


_GOOD_KEYS: set[str] = set()
"""Keys that passed :func:`check_key` (devices send the same few keys in every message)."""
_GOOD_KEYS_LIMIT = 16_384


def _checked_key(key: str) -> str:
    if key in _GOOD_KEYS:
        return key
    try:
        check_key(key)
    except InvalidEntryError as exc:
        raise KvParseError(str(exc)) from None
    if len(_GOOD_KEYS) >= _GOOD_KEYS_LIMIT:
        _GOOD_KEYS.clear()  # bounded: a device inventing keys only costs the checks again
    _GOOD_KEYS.add(key)
    return key


def _kv_items(
    values: dict[str, Any], options: ParseOptions
) -> Iterator[tuple[str, Value, DataType]]:
    for key, raw in values.items():
        typed = _typed(key, raw, options)
        if typed is not None:
            yield _checked_key(key), typed[0], typed[1]


def _ts(value: Any) -> int:
    """A ``ts`` read as Java's ``getAsLong``: numbers truncated, numeric strings accepted."""
    kind = type(value)
    ts: int
    if kind is int:
        ts = value
    elif kind is float:
        ts = int(value)
    elif kind is _Number:
        number = Decimal(value)
        if not TS_MIN <= number <= TS_MAX + 1:
            raise KvParseError(f"ts {value} is out of range")
        ts = int(number)
    elif kind is str and _LONG_TEXT.fullmatch(value):
        ts = int(value)
    else:
        raise KvParseError(f"Can't parse ts: {_json_text(value)}")
    if not TS_MIN <= ts <= TS_MAX:
        raise KvParseError(f"ts {ts} is out of range")
    return ts


def telemetry_from_json(data: Any, now_ms: int, options: ParseOptions = DEVICE) -> list[TsKvEntry]:
    """Points of an already :func:`loads`-ed telemetry body (flat, ``{ts, values}`` or a list)."""
    if type(data) is dict:
        objects: list[Any] = [data]
    elif type(data) is list:
        objects = data
    else:
        raise KvParseError(f"Can't parse value: {_json_text(data)}")
    points: list[TsKvEntry] = []
    for obj in objects:
        if type(obj) is not dict:
            raise KvParseError(f"Can't parse value: {_json_text(obj)}")
        if "ts" in obj and "values" in obj:
            ts, values = _ts(obj["ts"]), obj["values"]
            if type(values) is not dict:
                raise KvParseError(f"Can't parse values: {_json_text(values)}")
        else:
            ts, values = now_ms, obj
        for key, raw in values.items():  # _kv_items inlined: the per-message hot path
            typed = _typed(key, raw, options)
            if typed is not None:
                points.append(TsKvEntry(ts, _checked_key(key), typed[0], typed[1]))
    return points


class ParsedTelemetry(NamedTuple):
    """Points a producer parsed, kept on the message it wrote them into (``Msg.parsed``)."""

    ts: int
    """The ts the points without their own got."""
    points: list[TsKvEntry]
    """Shared with whoever reads them: never changed."""


class TelemetryBody(NamedTuple):
    """One message of a telemetry upload: the points of one ts as a flat JSON object."""

    ts: int
    data: bytes
    parsed: ParsedTelemetry | None
    """The points to keep with the message, when parsing ``data`` again gives exactly them."""


def values_json(entries: Iterable[KvEntry | TsKvEntry | AttributeKvEntry]) -> bytes:
    """Entries as one flat JSON object of their values (JSON values as they were written)."""
    return orjson.dumps({entry.key: _json_value(entry.value, entry.data_type) for entry in entries})


def _json_value(value: Any, data_type: DataType) -> Any:
    return orjson.Fragment(value) if data_type is DataType.JSON else value


def telemetry_bodies(points: list[TsKvEntry], options: ParseOptions) -> list[TelemetryBody]:
    """The rule-engine messages of a parsed upload: one body per distinct ts.

    A body keeps its points (``Msg.parsed``) only when :func:`points_of` parsing it again
    would give exactly them: it is read on orjson's path (no exponent, no 17-digit run: the
    exact path could type a number otherwise), numeric strings were cast as the rule engine
    casts them, each key is there once, and it has no ``ts`` and ``values`` keys together (it
    would read as a ``{ts, values}`` object).
    """
    by_ts: dict[int, list[TsKvEntry]] = {}
    for point in points:
        by_ts.setdefault(point.ts, []).append(point)
    bodies = []
    for ts, group in by_ts.items():
        data = values_json(group)
        keep = options.type_cast and not _NEEDS_EXACT.search(data)
        if keep:
            keys = {point.key for point in group}  # a key twice: the object keeps one
            keep = len(keys) == len(group) and not ("ts" in keys and "values" in keys)
        bodies.append(TelemetryBody(ts, data, ParsedTelemetry(ts, group) if keep else None))
    return bodies


def points_of(data: str, parsed: object, ts: int) -> list[TsKvEntry]:
    """The points of telemetry body ``data`` at ``ts``: those its producer kept
    (``Msg.parsed``, see :func:`telemetry_bodies`) if they are for this ts, else parsed."""
    if type(parsed) is ParsedTelemetry and parsed.ts == ts:
        return parsed.points
    return telemetry_from_json(loads(data), ts)


def attributes_from_json(data: Any, options: ParseOptions = DEVICE) -> list[KvEntry]:
    """Entries of an already :func:`loads`-ed attribute body, which must be a flat object."""
    if type(data) is not dict:
        raise KvParseError(f"Can't parse value: {_json_text(data)}")
    return [KvEntry(key, value, kind) for key, value, kind in _kv_items(data, options)]


def parse_telemetry(
    payload: bytes | str, now_ms: int, options: ParseOptions = DEVICE
) -> list[TsKvEntry]:
    """Points of a telemetry payload; ``now_ms`` stamps values sent without a ts."""
    return telemetry_from_json(loads(payload), now_ms, options)


def parse_attributes(payload: bytes | str, options: ParseOptions = DEVICE) -> list[KvEntry]:
    """Entries of an attribute payload (a flat JSON object)."""
    return attributes_from_json(loads(payload), options)
