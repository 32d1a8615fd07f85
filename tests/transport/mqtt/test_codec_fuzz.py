"""Fuzzing the stream decoder: whatever the bytes, the only exception is MqttProtocolError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import Connect
from industryos.transport.mqtt.reason_codes import ReasonCode
from tests.transport.mqtt.strategies import connects, mutated

FUZZ = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
CONNECTS = {
    False: encode(Connect("fuzz", ProtocolLevel.MQTT_3_1_1), False),
    True: encode(Connect("fuzz", ProtocolLevel.MQTT_5), True),
}


def feed_all(decoder: StreamDecoder, chunks: list[bytes]) -> None:
    """Feed every chunk; a protocol error must carry a real failure reason code."""
    error: MqttProtocolError | None = None
    try:
        for chunk in chunks:
            for _ in decoder.feed(chunk):
                pass
    except MqttProtocolError as exc:
        error = exc
    if error is not None:
        assert isinstance(error.reason_code, ReasonCode)
        assert error.reason_code.is_error


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=5))
def test_random_bytes_before_connect(chunks: list[bytes]) -> None:
    feed_all(StreamDecoder(), chunks)


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
@FUZZ
@given(chunks=st.lists(st.binary(max_size=200), max_size=5))
def test_random_bytes_after_connect(v5: bool, chunks: list[bytes]) -> None:
    feed_all(StreamDecoder(), [CONNECTS[v5], *chunks])


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
@FUZZ
@given(data=st.data())
def test_mutated_valid_packets(v5: bool, data: st.DataObject) -> None:
    stream = data.draw(mutated(v5))
    split = data.draw(st.integers(0, len(stream)))
    feed_all(StreamDecoder(), [CONNECTS[v5], stream[:split], stream[split:]])


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
@FUZZ
@given(data=st.data())
def test_mutated_connect(v5: bool, data: st.DataObject) -> None:
    stream = bytearray(encode(data.draw(connects(v5)), v5))
    index = data.draw(st.integers(0, len(stream) - 1))
    stream[index] ^= data.draw(st.integers(1, 255))
    feed_all(StreamDecoder(), [bytes(stream)])
