"""Record framing: round trip, and a torn or corrupted tail never decodes as a record."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from industryos.queue.embedded.framing import (
    HEADER_SIZE,
    Stop,
    decode_frames,
    encode_frames,
    frame_size,
)

MAX = 1 << 16
payloads = st.lists(st.binary(max_size=300), max_size=20)


@given(payloads, st.integers(min_value=0, max_value=2**63))
def test_round_trip(items: list[bytes], first: int) -> None:
    data = encode_frames(first, items)
    records, used, stop = decode_frames(data, MAX)
    assert records == [(first + i, p) for i, p in enumerate(items)]
    assert used == len(data)
    assert stop is Stop.END


@given(payloads, st.data())
def test_truncation_yields_a_prefix(items: list[bytes], data: st.DataObject) -> None:
    encoded = encode_frames(0, items)
    cut = data.draw(st.integers(min_value=0, max_value=len(encoded)))
    records, used, stop = decode_frames(encoded[:cut], MAX)
    whole = [(i, p) for i, p in enumerate(items)]
    assert records == whole[: len(records)]
    assert used == sum(HEADER_SIZE + len(p) for _, p in records)
    assert stop is (Stop.END if used == cut else Stop.PARTIAL)


@given(payloads.filter(bool), st.data())
def test_a_flipped_byte_is_never_returned_as_data(items: list[bytes], data: st.DataObject) -> None:
    encoded = bytearray(encode_frames(7, items))
    index = data.draw(st.integers(min_value=0, max_value=len(encoded) - 1))
    encoded[index] ^= data.draw(st.integers(min_value=1, max_value=255))
    records, _, stop = decode_frames(bytes(encoded), MAX)
    whole = [(7 + i, p) for i, p in enumerate(items)]
    assert records == whole[: len(records)]
    assert len(records) < len(items)
    assert stop is not Stop.END


def test_zero_filled_tail_stops_decoding() -> None:
    encoded = encode_frames(0, [b"a", b"b"]) + bytes(64)
    records, used, stop = decode_frames(encoded, MAX)
    assert [p for _, p in records] == [b"a", b"b"]
    assert stop is Stop.CORRUPT
    assert used == len(encoded) - 64


def test_max_records_stops_early() -> None:
    encoded = encode_frames(0, [b"a", b"b", b"c"])
    records, used, stop = decode_frames(encoded, MAX, max_records=2)
    assert [p for _, p in records] == [b"a", b"b"]
    assert stop is Stop.END
    assert frame_size(encoded, used) == HEADER_SIZE + 1


def test_impossible_length_is_corrupt() -> None:
    encoded = encode_frames(0, [b"x" * 100])
    assert decode_frames(encoded, max_record_bytes=50)[2] is Stop.CORRUPT
