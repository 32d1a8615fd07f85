"""Codec: property-based round trips for every packet type, and each malformed input's code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from industryos.transport.mqtt.codec import StreamDecoder, encode, packet_size
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import Connect, Packet, Properties, Puback, Publish
from industryos.transport.mqtt.reason_codes import ReasonCode
from tests.transport.mqtt.strategies import connects, packets

V5_CONNECT = encode(Connect("c", ProtocolLevel.MQTT_5), True)
V3_CONNECT = encode(Connect("c", ProtocolLevel.MQTT_3_1_1), False)


def decode_all(data: bytes, v5: bool, max_remaining_length: int = 2**28) -> list[Packet]:
    decoder = StreamDecoder(max_remaining_length, server=False)
    decoder.v5 = v5
    return list(decoder.feed(data))


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
@given(data=st.data())
def test_every_packet_type_round_trips(v5: bool, data: st.DataObject) -> None:
    packet = data.draw(packets(v5))
    assert decode_all(encode(packet, v5), v5) == [packet]


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
@given(data=st.data())
def test_connect_round_trips_and_sets_the_level(v5: bool, data: st.DataObject) -> None:
    connect = data.draw(connects(v5))
    follower = Publish("a/b", b"x", 1, packet_id=1)
    decoder = StreamDecoder()
    decoded = list(decoder.feed(encode(connect, v5) + encode(follower, v5)))
    assert decoded == [connect, follower]
    assert decoder.v5 is v5


@pytest.mark.parametrize("v5", [False, True], ids=["3.1.1", "5"])
@given(data=st.data())
def test_stream_decoding_does_not_depend_on_how_bytes_are_split(
    v5: bool, data: st.DataObject
) -> None:
    sent = data.draw(st.lists(packets(v5), min_size=1, max_size=8))
    stream = b"".join(encode(p, v5) for p in sent)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    decoder = StreamDecoder(server=False)
    decoder.v5 = v5
    received: list[Packet] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        received += decoder.feed(stream[start:end])
    assert received == sent


def test_v3_ack_is_four_bytes_and_v5_success_ack_omits_the_reason() -> None:
    assert encode(Puback(7), False) == b"\x40\x02\x00\x07"
    assert encode(Puback(7), True) == b"\x40\x02\x00\x07"
    assert encode(Puback(7, ReasonCode.TOPIC_NAME_INVALID), True) == b"\x40\x03\x00\x07\x90"


def test_packet_size_counts_the_fixed_header() -> None:
    assert packet_size(0) == 2
    assert packet_size(127) == 129
    assert packet_size(128) == 131
    assert packet_size(65_536) == 65_540


MALFORMED = ReasonCode.MALFORMED_PACKET
PROTOCOL = ReasonCode.PROTOCOL_ERROR

# (name, bytes after a v5 CONNECT, expected reason code)
BAD_V5_INPUT = [
    ("reserved packet type 0", b"\x00\x00", MALFORMED),
    ("PUBLISH QoS 3", b"\x36\x05\x00\x01a\x00\x01", MALFORMED),
    ("DUP on QoS 0", b"\x38\x04\x00\x01a\x00", MALFORMED),
    ("PUBACK with flags", b"\x41\x02\x00\x01", MALFORMED),
    ("PUBREL without flag 2", b"\x60\x02\x00\x01", MALFORMED),
    ("packet id 0", b"\x40\x02\x00\x00", PROTOCOL),
    ("topic longer than packet", b"\x30\x03\x00\x09a", MALFORMED),
    ("invalid UTF-8 topic", b"\x30\x04\x00\x01\xff\x00", MALFORMED),
    ("U+0000 in topic", b"\x30\x04\x00\x01\x00\x00", MALFORMED),
    ("wildcard in topic name", b"\x30\x04\x00\x01#\x00", ReasonCode.TOPIC_NAME_INVALID),
    ("unknown property", b"\x30\x06\x00\x01a\x02\x7f\x00", MALFORMED),
    ("property on wrong packet", b"\x30\x07\x00\x01a\x03\x21\x00\x01", PROTOCOL),
    ("truncated property value", b"\x30\x08\x00\x01a\x04\x23\x00\x01\x23", MALFORMED),
    ("receive maximum 0", b"\xe0\x05\x00\x03\x21\x00\x00", PROTOCOL),
    ("SUBSCRIBE without filters", b"\x82\x03\x00\x01\x00", PROTOCOL),
    ("subscription options reserved bits", b"\x82\x07\x00\x01\x00\x00\x01a\xc0", MALFORMED),
    ("PINGREQ with a body", b"\xc0\x01\x00", MALFORMED),
    ("second CONNECT is decoded, not refused here", b"", None),
    ("remaining length of five bytes", b"\x30\xff\xff\xff\xff\x01", MALFORMED),
    ("AUTH with trailing byte", b"\xf0\x03\x00\x00\x00", MALFORMED),
]


@pytest.mark.parametrize(
    ("data", "reason"), [(d, r) for _, d, r in BAD_V5_INPUT], ids=[n for n, _, _ in BAD_V5_INPUT]
)
def test_malformed_input_raises_the_reason_code_to_send(
    data: bytes, reason: ReasonCode | None
) -> None:
    decoder = StreamDecoder()
    if reason is None:
        assert len(list(decoder.feed(V5_CONNECT + data))) == 1
        return
    with pytest.raises(MqttProtocolError) as caught:
        list(decoder.feed(V5_CONNECT + data))
    assert caught.value.reason_code == reason


def test_repeated_property_is_a_protocol_error() -> None:
    data = b"\x30\x0a\x00\x01a\x06\x23\x00\x01\x23\x00\x02"
    with pytest.raises(MqttProtocolError) as caught:
        list(StreamDecoder().feed(V5_CONNECT + data))
    assert caught.value.reason_code == PROTOCOL


def test_auth_is_reserved_before_mqtt5() -> None:
    with pytest.raises(MqttProtocolError) as caught:
        list(StreamDecoder().feed(V3_CONNECT + b"\xf0\x00"))
    assert caught.value.reason_code == MALFORMED


def test_first_packet_must_be_connect() -> None:
    with pytest.raises(MqttProtocolError) as caught:
        list(StreamDecoder().feed(b"GET / HTTP/1.1\r\n"))
    assert caught.value.reason_code == PROTOCOL


@pytest.mark.parametrize(
    ("name", "level", "expected_level"),
    [("MQTT", 6, 6), ("MQTT", 2, 2), ("HTTP", 4, 4)],
)
def test_unsupported_protocol_carries_the_announced_level(
    name: str, level: int, expected_level: int
) -> None:
    body = b"\x00\x04" + name.encode() + bytes((level,)) + b"\x02\x00\x3c\x00\x00"
    with pytest.raises(MqttProtocolError) as caught:
        list(StreamDecoder().feed(bytes((0x10, len(body))) + body))
    assert caught.value.reason_code == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION
    assert caught.value.protocol_level == expected_level


def test_malformed_connect_carries_its_level() -> None:
    body = b"\x00\x04MQTT\x05\x03\x00\x3c\x00\x00\x00"  # reserved flag bit set
    with pytest.raises(MqttProtocolError) as caught:
        list(StreamDecoder().feed(bytes((0x10, len(body))) + body))
    assert caught.value.reason_code == MALFORMED
    assert caught.value.protocol_level == 5


def test_v311_password_without_user_name_is_malformed() -> None:
    body = b"\x00\x04MQTT\x04\x42\x00\x3c\x00\x00\x00\x02pw"
    with pytest.raises(MqttProtocolError):
        list(StreamDecoder().feed(bytes((0x10, len(body))) + body))


def test_oversize_packet_is_refused_from_its_header_alone() -> None:
    decoder = StreamDecoder(max_remaining_length=100)
    assert list(decoder.feed(V5_CONNECT)) != []
    header = b"\x30\xe5\x00"  # remaining length 101, no body sent yet
    with pytest.raises(MqttProtocolError) as caught:
        list(decoder.feed(header))
    assert caught.value.reason_code == ReasonCode.PACKET_TOO_LARGE


def test_packet_at_the_limit_is_accepted() -> None:
    decoder = StreamDecoder(max_remaining_length=100)
    list(decoder.feed(V3_CONNECT))
    packet = Publish("t", b"x" * 97)
    assert list(decoder.feed(encode(packet, False))) == [packet]


def test_valid_packets_before_garbage_are_delivered_first() -> None:
    decoder = StreamDecoder()
    good = Publish("a", b"1")
    received: list[Packet] = []

    def consume() -> None:
        for packet in decoder.feed(V3_CONNECT + encode(good, False) + b"\x00\x00"):
            received.append(packet)

    with pytest.raises(MqttProtocolError):
        consume()
    assert received[1:] == [good]


def test_topic_alias_publish_may_have_an_empty_topic_on_v5_only() -> None:
    aliased = Publish("", b"x", properties=Properties(topic_alias=1))
    assert decode_all(encode(aliased, True), True) == [aliased]
    with pytest.raises(MqttProtocolError):
        decode_all(encode(Publish("", b"x"), False), False)
