"""Device and REST key/value JSON parsing (device-api §1.1-1.3, platform-api §3.5)."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from industryos.telemetry.errors import KvParseError
from industryos.telemetry.kv import DataType, KvEntry, TsKvEntry
from industryos.telemetry.parse import (
    DEVICE,
    REST,
    ParsedTelemetry,
    ParseOptions,
    loads,
    parse_attributes,
    parse_telemetry,
    points_of,
    telemetry_bodies,
    telemetry_from_json,
)

NOW = 1_700_000_000_123
L, D, S, B, J = DataType.LONG, DataType.DOUBLE, DataType.STRING, DataType.BOOLEAN, DataType.JSON


def typed(payload: str, options: ParseOptions | None = None) -> dict[str, tuple[object, DataType]]:
    """key -> (value, type) of a flat telemetry payload."""
    points = parse_telemetry(payload, NOW, options or ParseOptions())
    assert all(point.ts == NOW for point in points)
    return {point.key: (point.value, point.data_type) for point in points}


def test_flat_object_uses_server_ts_and_long_type() -> None:
    """Checklist 8: {"a":1} is stored with the server ts as LONG."""
    assert parse_telemetry(b'{"a":1}', NOW) == [TsKvEntry(NOW, "a", 1, L)]


def test_ts_values_objects_and_float_ts_truncated() -> None:
    """Checklist 9: each {ts, values} keeps its ts; a float ts is truncated."""
    payload = (
        b'[{"ts":1700000000000,"values":{"a":1.5}},'
        b'{"ts":1795727784823.7168,"values":{"a":2}, "metadata": {"x": 1}}]'
    )
    assert parse_telemetry(payload, NOW) == [
        TsKvEntry(1700000000000, "a", 1.5, D),
        TsKvEntry(1795727784823, "a", 2, L),
    ]


def test_string_cast_json_object_and_null_skipped() -> None:
    """Checklist 10: "42" is LONG 42, an object is JSON, null is ignored."""
    assert typed('{"s":"42","o":{"x":1},"n":null}') == {"s": (42, L), "o": ('{"x":1}', J)}


@pytest.mark.parametrize("payload", [b"{}", b"[]", b"[{}]", b'{"ts": 1, "values": {}}'])
def test_empty_payloads_store_nothing(payload: bytes) -> None:
    """Checklist 11: {} and [] are valid and store nothing."""
    assert parse_telemetry(payload, NOW) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"25"', (25, L)),
        ('"1.5"', (1.5, D)),
        ('"-.5"', (-0.5, D)),
        ('"007"', (7, L)),
        ('"5."', ("5.", S)),
        ('"1e5"', ("1e5", S)),
        ('"+5"', ("+5", S)),
        ('"-"', ("-", S)),
        ('""', ("", S)),
        ('"abc"', ("abc", S)),
        ('"9223372036854775808"', ("9223372036854775808", S)),
        ('"00099999999999999999999"', ("99999999999999999999", S)),
        ('"0.12345678901234567"', ("0.12345678901234567", S)),
        ("1e3", (1000, L)),
        ("1.0e3", (1000, L)),
        ("1.5E-3", (0.0015, D)),
        ("1.0", (1.0, D)),
        ("-0.0", (-0.0, D)),
        ("12", (12, L)),
        ("9223372036854775807", (9223372036854775807, L)),
        ("-9223372036854775808", (-9223372036854775808, L)),
        ("9223372036854775808", ("9223372036854775808", S)),
        ("123456789012345678901234", ("123456789012345678901234", S)),
        ("0.1234567890123456", (0.1234567890123456, D)),
        ("0.12345678901234567", ("0.12345678901234567", S)),
        ("1.10000000000000000", ("1.10000000000000000", S)),
        ("1E20", ("100000000000000000000", S)),
        ("1E401", ("1E401", S)),
        ("true", (True, B)),
        ("[1, 2.50, {}]", ("[1,2.5,{}]", J)),
    ],
)
def test_value_typing(raw: str, expected: tuple[object, DataType]) -> None:
    """§1.1: strings cast to numbers, int64 overflow and >16 decimals kept as strings."""
    assert typed(f'{{"k": {raw}}}') == {"k": expected}


def test_nested_json_keeps_exact_numbers() -> None:
    """A payload parsed on the exact path keeps each nested number as written."""
    assert typed('{"o": {"big": 123456789012345678901, "e": 1.5e3}}') == {
        "o": ('{"big":123456789012345678901,"e":1.5e3}', J)
    }


def test_big_numbers_without_type_cast_are_refused() -> None:
    """With type cast off an int64 overflow is an error, and strings stay strings."""
    options = ParseOptions(type_cast=False)
    assert typed('{"s": "42"}', options) == {"s": ("42", S)}
    with pytest.raises(KvParseError, match="Big integer"):
        typed('{"k": 9223372036854775808}', options)


def test_ts_without_values_is_a_flat_key() -> None:
    """Without ``values`` the object is flat, so ``ts`` becomes a telemetry key."""
    assert typed('{"ts": 5, "a": 1}') == {"ts": (5, L), "a": (1, L)}


@pytest.mark.parametrize(
    ("payload", "ts"),
    [
        ('{"ts": "1700000000000", "values": {"a": 1}}', 1700000000000),
        ('{"ts": 1.9e3, "values": {"a": 1}}', 1900),
    ],
)
def test_ts_forms(payload: str, ts: int) -> None:
    """A ts is read like Java's getAsLong: numeric strings and exponents are accepted."""
    assert [point.ts for point in parse_telemetry(payload, NOW)] == [ts]


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b"5",
        b'"text"',
        b"null",
        b"[1]",
        b"[[]]",
        b'{"ts": 1, "values": 5}',
        b'{"ts": true, "values": {"a": 1}}',
        b'{"ts": "1.5", "values": {"a": 1}}',
        b'{"ts": 1e30, "values": {"a": 1}}',
        b'{"": 1}',
        b'{"  ": 1}',
        ('{"%s": 1}' % ("k" * 256)).encode(),
        b'{"a": NaN}',
        b"\xff",
    ],
)
def test_malformed_telemetry_is_a_parse_error(payload: bytes) -> None:
    """Bad input gets a clear error type, never another exception."""
    with pytest.raises(KvParseError):
        parse_telemetry(payload, NOW)


def test_rest_refuses_nulls_devices_skip_them() -> None:
    """The REST converter refuses null values; the device converter skips them."""
    assert parse_attributes(b'{"a": null, "b": 1}') == [KvEntry("b", 1, L)]
    with pytest.raises(KvParseError):
        parse_attributes(b'{"a": null, "b": 1}', REST)
    with pytest.raises(KvParseError):
        parse_telemetry(b'{"a": null}', NOW, REST)


def test_attributes_must_be_a_flat_object() -> None:
    """§1.3: attribute uploads are a flat object; an array is a parse error."""
    assert parse_attributes('{"fw": "1.2", "on": false}') == [
        KvEntry("fw", 1.2, D),
        KvEntry("on", False, B),
    ]
    with pytest.raises(KvParseError):
        parse_attributes(b'[{"a": 1}]')


def test_max_string_length() -> None:
    """An over-long string is a parse error when a maximum is configured."""
    options = ParseOptions(max_string_length=3)
    assert typed('{"s": "abc"}', options) == {"s": ("abc", S)}
    with pytest.raises(KvParseError, match="greater than maximum"):
        typed('{"s": "abcd"}', options)


def test_gateway_bodies_compose_from_loads() -> None:
    """A gateway payload is loaded once and each device's part converted."""
    data = loads(b'{"Dev A": [{"ts": 1, "values": {"t": 1e1}}], "Dev B": [{"h": "7"}]}')
    assert {name: telemetry_from_json(part, NOW) for name, part in data.items()} == {
        "Dev A": [TsKvEntry(1, "t", 10, L)],
        "Dev B": [TsKvEntry(NOW, "h", 7, L)],
    }


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_any_json_parses_or_fails_cleanly(value: object) -> None:
    """Whatever JSON a device sends, the parser returns points or raises KvParseError."""
    payload = json.dumps(value).encode()
    try:
        points = parse_telemetry(payload, NOW)
    except KvParseError:
        return
    for point in points:
        assert point.key.strip()
        assert isinstance(point.value, bool | int | float | str)
        if point.data_type is J:
            orjson.loads(point.value)  # type: ignore[arg-type]


def test_checked_keys_are_remembered_but_bad_keys_never(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-key check is skipped for keys seen before; a bad key is refused every time."""
    from industryos.telemetry import parse as parse_module

    monkeypatch.setattr(parse_module, "_GOOD_KEYS_LIMIT", 4)
    monkeypatch.setattr(parse_module, "_GOOD_KEYS", set())
    for n in range(10):
        assert [p.key for p in parse_telemetry(f'{{"k{n}": 1}}', 5)] == [f"k{n}"]
        assert len(parse_module._GOOD_KEYS) <= 4
    bad = "a" * 256
    for _ in range(2):
        with pytest.raises(KvParseError):
            parse_telemetry(orjson.dumps({bad: 1}), 5)
    assert bad not in parse_module._GOOD_KEYS


tricky_values = (
    json_values
    | st.floats(allow_nan=False, allow_infinity=False, min_value=1e15)
    | st.floats(allow_nan=False, allow_infinity=False, max_value=1e-3, min_value=-1e-3)
    | st.integers(min_value=2**62)
    | st.from_regex(r"-?[0-9]{1,20}(\.[0-9]{1,20})?(e[0-9]{1,3})?", fullmatch=True)
)
uploads = st.dictionaries(
    st.sampled_from(["t", "h", "ts", "values", "s", "big"]), tricky_values, max_size=5
) | st.lists(
    st.fixed_dictionaries(
        {
            "ts": st.integers(min_value=1, max_value=3),
            "values": st.dictionaries(st.sampled_from(["t", "h"]), tricky_values, max_size=3),
        }
    ),
    max_size=3,
)


@settings(max_examples=400, deadline=None)
@given(uploads)
def test_kept_points_are_what_parsing_the_body_again_gives(upload: object) -> None:
    """A message's kept points stand in for parsing its body: they must be the same
    points, or a restart (which drops them) would store something else."""
    try:
        points = telemetry_from_json(loads(json.dumps(upload)), NOW)
    except KvParseError:
        return
    bodies = telemetry_bodies(points, DEVICE)
    assert sorted(body.ts for body in bodies) == sorted({point.ts for point in points})
    for body in bodies:  # one body per ts, with that ts's keys
        assert set(orjson.loads(body.data)) == {p.key for p in points if p.ts == body.ts}
    for body in bodies:
        if body.parsed is not None:
            assert body.parsed.ts == body.ts
            assert _parsed_again(body.data, body.ts) == body.parsed.points


def _parsed_again(data: bytes, ts: int) -> list[TsKvEntry]:
    return telemetry_from_json(loads(data), ts)


def test_points_are_kept_only_where_parsing_again_gives_them() -> None:
    def kept(upload: object, options: ParseOptions = DEVICE) -> list[bool]:
        points = telemetry_from_json(loads(json.dumps(upload)), NOW, options)
        return [body.parsed is not None for body in telemetry_bodies(points, options)]

    assert kept({"t": 21.5, "on": True, "n": 7, "s": "text", "j": {"a": [1]}}) == [True]
    assert kept({"t": 1e16}) == [False]  # written 1e16: parsed again, a LONG
    assert kept({"t": 2.5e-7}) == [False]  # an exponent
    assert kept({"t": "12345678901234567890"}) == [False]  # a 17-digit run
    assert kept({"t": "12"}, ParseOptions(type_cast=False)) == [False]  # the engine casts
    assert kept({"ts": 1, "values": {"ts": 5, "values": {"a": 1}}}) == [False]
    assert kept([{"ts": 1, "values": {"t": 1}}, {"ts": 1, "values": {"t": 2}}]) == [False]
    assert kept([{"ts": 1, "values": {"t": 1}}, {"ts": 2, "values": {"t": 2}}]) == [True, True]


def test_kept_points_serve_only_their_own_ts() -> None:
    kept = ParsedTelemetry(5, [TsKvEntry(5, "t", 99, L)])  # not what the body says: on purpose
    assert points_of('{"t": 1}', kept, 5) == [TsKvEntry(5, "t", 99, L)]
    assert points_of('{"t": 1}', kept, 6) == [TsKvEntry(6, "t", 1, L)]  # a server ts, say
    assert points_of('{"t": 1}', None, 5) == [TsKvEntry(5, "t", 1, L)]
