"""The key/value model of telemetry and attributes: typed entries and how they render.

A value is one of five data types (ThingsBoard's ``DataType``). Entries are immutable
``NamedTuple``s rather than dataclasses because millions of them cross the hot path: a
named tuple is built in a quarter of a microsecond and unpacks in C. A JSON value is kept
as its compact JSON *text* (as ThingsBoard's ``JsonDataEntry`` does), so it is serialised
once at parse time and stored, pushed and rendered without another round trip through
Python objects; :meth:`KvEntry.native_value` parses it when a caller needs objects.

Rendering follows the wire contract:

* devices get native JSON types (:meth:`native_value`);
* REST renders every value as a string unless ``useStrictDataTypes=true``
  (:meth:`rest_value`), and doubles as Java's ``Double.toString`` does (``1.0``,
  ``1.0E20``), because that is the text ThingsBoard clients and dashboards receive.
"""

from __future__ import annotations

import math
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

import orjson

from industryos.telemetry.errors import InvalidEntryError

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "MAX_KEY_LENGTH",
    "TS_MAX",
    "TS_MIN",
    "AttributeKvEntry",
    "AttributeScope",
    "DataType",
    "KvEntry",
    "TsKvEntry",
    "Value",
    "check_key",
    "check_ts",
    "check_value",
    "java_double_str",
    "kv_entry",
]

Value = bool | int | float | str
"""A stored value; JSON values are their JSON text (a ``str``)."""

MAX_KEY_LENGTH = 255
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
TS_MIN = -62135596800000
"""0001-01-01T00:00:00Z: the earliest ts the store accepts (partition names are dates)."""
TS_MAX = 253402300799999
"""9999-12-31T23:59:59.999Z: the latest ts the store accepts."""


class DataType(StrEnum):
    """ThingsBoard's value types; the names appear on the wire (``dataType``)."""

    BOOLEAN = "BOOLEAN"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    STRING = "STRING"
    JSON = "JSON"


class AttributeScope(StrEnum):
    """Attribute scopes (platform-api §2.3)."""

    CLIENT_SCOPE = "CLIENT_SCOPE"
    SERVER_SCOPE = "SERVER_SCOPE"
    SHARED_SCOPE = "SHARED_SCOPE"


_PY_TYPE: dict[DataType, type] = {
    DataType.BOOLEAN: bool,
    DataType.LONG: int,
    DataType.DOUBLE: float,
    DataType.STRING: str,
    DataType.JSON: str,
}


def java_double_str(value: float) -> str:
    """``Double.toString``: plain in [1e-3, 1e7), else ``d.dddE±n``; always one decimal."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    magnitude = abs(value)
    if value == 0 or 1e-3 <= magnitude < 1e7:
        return repr(value)  # repr is plain in this range and always has a decimal point
    _sign, digits, exponent = Decimal(repr(magnitude)).as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = exponent + len(digits) - 1
    mantissa = text[0] + "." + (text[1:] or "0")
    return ("-" if value < 0 else "") + f"{mantissa}E{power}"


def _as_string(data_type: DataType, value: Value) -> str:
    if data_type is DataType.BOOLEAN:
        return "true" if value else "false"
    if data_type is DataType.DOUBLE:
        return java_double_str(float(value))
    return str(value)


def _native(data_type: DataType, value: Value) -> Any:
    if data_type is DataType.JSON:
        return orjson.loads(value)  # type: ignore[arg-type]
    return value


class KvEntry(NamedTuple):
    """One key with a typed value (an attribute or a time-series point without its ts)."""

    key: str
    value: Value
    data_type: DataType

    def value_as_string(self) -> str:
        """The value as ThingsBoard's ``getValueAsString`` renders it."""
        return _as_string(self.data_type, self.value)

    def native_value(self) -> Any:
        """The value as a JSON-compatible Python object (JSON text parsed)."""
        return _native(self.data_type, self.value)

    def rest_value(self, strict: bool) -> Any:
        """The REST rendering: native with ``useStrictDataTypes``, else a string."""
        return _native(self.data_type, self.value) if strict else self.value_as_string()


class TsKvEntry(NamedTuple):
    """One time-series point: a key/value at a ts in epoch milliseconds."""

    ts: int
    key: str
    value: Value
    data_type: DataType

    @property
    def kv(self) -> KvEntry:
        """The point without its timestamp."""
        return KvEntry(self.key, self.value, self.data_type)

    def value_as_string(self) -> str:
        """The value as ThingsBoard's ``getValueAsString`` renders it."""
        return _as_string(self.data_type, self.value)

    def native_value(self) -> Any:
        """The value as a JSON-compatible Python object (JSON text parsed)."""
        return _native(self.data_type, self.value)

    def rest_value(self, strict: bool) -> Any:
        """The REST rendering: native with ``useStrictDataTypes``, else a string."""
        return _native(self.data_type, self.value) if strict else self.value_as_string()


class AttributeKvEntry(NamedTuple):
    """A stored attribute: a key/value and when it was last written (epoch ms)."""

    key: str
    value: Value
    data_type: DataType
    last_update_ts: int

    @property
    def kv(self) -> KvEntry:
        """The attribute without its update time."""
        return KvEntry(self.key, self.value, self.data_type)

    def value_as_string(self) -> str:
        """The value as ThingsBoard's ``getValueAsString`` renders it."""
        return _as_string(self.data_type, self.value)

    def native_value(self) -> Any:
        """The value as a JSON-compatible Python object (JSON text parsed)."""
        return _native(self.data_type, self.value)


def kv_entry(key: str, value: Any) -> KvEntry:
    """An entry typed from a Python value (for rule nodes and tests, not for device JSON).

    ``bool`` → BOOLEAN, ``int`` → LONG (STRING beyond int64, as the device parser does),
    ``float`` → DOUBLE, ``str`` → STRING, ``dict``/``list`` → JSON.
    """
    check_key(key)
    if isinstance(value, bool):
        return KvEntry(key, value, DataType.BOOLEAN)
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return KvEntry(key, int(value), DataType.LONG)
        return KvEntry(key, str(value), DataType.STRING)
    if isinstance(value, float):
        return KvEntry(key, value, DataType.DOUBLE)
    if isinstance(value, str):
        return KvEntry(key, value, DataType.STRING)
    if isinstance(value, dict | list):
        return KvEntry(key, orjson.dumps(value).decode(), DataType.JSON)
    raise InvalidEntryError(f"unsupported value type {type(value).__name__} for key {key!r}")


def check_ts(key: str, ts: object) -> None:
    """Refuse a ts that is not an int inside the range partitions can be named for."""
    if type(ts) is not int or not TS_MIN <= ts <= TS_MAX:
        raise InvalidEntryError(f"ts {ts!r} of {key!r} is not an int in [{TS_MIN}, {TS_MAX}]")


def check_key(key: str) -> None:
    """Refuse keys ThingsBoard refuses: blank, longer than 255 characters, or with NUL."""
    if not key or key.isspace():
        raise InvalidEntryError("Key can't be null or empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidEntryError(
            f"Validation error: key length must be equal or less than {MAX_KEY_LENGTH}"
        )
    if "\x00" in key:
        raise InvalidEntryError("Key can't contain the NUL character")


def check_value(key: str, value: Value, data_type: DataType) -> None:
    """Refuse a value that does not match its type or that no column can hold."""
    expected = _PY_TYPE.get(data_type)
    if expected is None:
        raise InvalidEntryError(f"unknown data type {data_type!r} of {key!r}")
    if type(value) is not expected:
        raise InvalidEntryError(
            f"value of {key!r} is a {type(value).__name__}, not a {data_type} value"
        )
    if data_type is DataType.LONG and not INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]
        raise InvalidEntryError(f"LONG value of {key!r} overflows int64")
    if data_type is DataType.DOUBLE and value - value != 0.0:  # type: ignore[operator]
        raise InvalidEntryError(f"DOUBLE value of {key!r} is not finite")
