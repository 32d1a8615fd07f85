"""The key/value model: typing of Python values, validation and wire rendering."""

from __future__ import annotations

import pytest

from industryos.telemetry.errors import InvalidEntryError
from industryos.telemetry.kv import (
    AttributeKvEntry,
    DataType,
    KvEntry,
    TsKvEntry,
    check_key,
    check_ts,
    check_value,
    java_double_str,
    kv_entry,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1.0"),
        (36.6, "36.6"),
        (-0.0, "-0.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (9999999.0, "9999999.0"),
        (1e7, "1.0E7"),
        (123456789.0, "1.23456789E8"),
        (1e20, "1.0E20"),
        (-1.5e-5, "-1.5E-5"),
        (float("inf"), "Infinity"),
        (float("nan"), "NaN"),
    ],
)
def test_java_double_text(value: float, text: str) -> None:
    """Doubles render as Java's Double.toString, the text ThingsBoard clients receive."""
    assert java_double_str(value) == text


@pytest.mark.parametrize(
    ("entry", "as_string", "strict"),
    [
        (KvEntry("t", 1, DataType.LONG), "1", 1),
        (KvEntry("t", 21.5, DataType.DOUBLE), "21.5", 21.5),
        (KvEntry("t", 2.0, DataType.DOUBLE), "2.0", 2.0),
        (KvEntry("t", True, DataType.BOOLEAN), "true", True),
        (KvEntry("t", "x", DataType.STRING), "x", "x"),
        (KvEntry("t", '{"a":[1]}', DataType.JSON), '{"a":[1]}', {"a": [1]}),
    ],
)
def test_rest_rendering(entry: KvEntry, as_string: str, strict: object) -> None:
    """Checklist 14: strings by default, native values with useStrictDataTypes."""
    assert entry.rest_value(strict=False) == as_string
    assert entry.rest_value(strict=True) == strict
    point = TsKvEntry(1000, *entry)
    assert point.value_as_string() == as_string
    assert point.native_value() == strict
    assert point.kv == entry
    attribute = AttributeKvEntry(*entry, last_update_ts=5)
    assert attribute.native_value() == strict
    assert attribute.kv == entry


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, KvEntry("k", True, DataType.BOOLEAN)),
        (7, KvEntry("k", 7, DataType.LONG)),
        (2**63, KvEntry("k", str(2**63), DataType.STRING)),
        (1.5, KvEntry("k", 1.5, DataType.DOUBLE)),
        ("s", KvEntry("k", "s", DataType.STRING)),
        ({"a": 1}, KvEntry("k", '{"a":1}', DataType.JSON)),
        ([1, "x"], KvEntry("k", '[1,"x"]', DataType.JSON)),
    ],
)
def test_kv_entry_types_python_values(value: object, expected: KvEntry) -> None:
    """Rule nodes build entries from Python values with the device parser's typing."""
    assert kv_entry("k", value) == expected


def test_kv_entry_refuses_unknown_values() -> None:
    """None and other objects are not values."""
    with pytest.raises(InvalidEntryError):
        kv_entry("k", None)
    with pytest.raises(InvalidEntryError):
        kv_entry("k", object())


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "a\x00b"])
def test_bad_keys(key: str) -> None:
    """Blank, over-long and NUL-bearing keys are refused, as ThingsBoard's KvUtils does."""
    with pytest.raises(InvalidEntryError):
        check_key(key)


def test_good_keys() -> None:
    """Any other key is fine, up to 255 characters."""
    check_key("k" * 255)
    check_key("température ünïcode")


@pytest.mark.parametrize(
    ("value", "data_type"),
    [
        ("1", DataType.LONG),
        (True, DataType.LONG),
        (2**63, DataType.LONG),
        (1, DataType.DOUBLE),
        (float("nan"), DataType.DOUBLE),
        (float("inf"), DataType.DOUBLE),
        (1, DataType.BOOLEAN),
        (b"x", DataType.STRING),
        ({"a": 1}, DataType.JSON),
        (1, "LONG?"),
    ],
)
def test_bad_values(value: object, data_type: DataType) -> None:
    """A value must be of its type's Python type and fit the column."""
    with pytest.raises(InvalidEntryError):
        check_value("k", value, data_type)  # type: ignore[arg-type]


@pytest.mark.parametrize("ts", [1.5, "1", -62135596800001, 253402300800000, True])
def test_bad_ts(ts: object) -> None:
    """A ts is an int between year 1 and year 9999."""
    with pytest.raises(InvalidEntryError):
        check_ts("k", ts)
