"""Sans-IO MQTT codec: packets to bytes and back, plus an incremental stream decoder.

``encode(packet, v5)`` and ``decode(first_byte, buf, start, end, v5)`` are pure functions
dispatched through one table per direction, each packet type listed once. Both directions
are implemented (a server only needs half) so round trips can be property-tested.

:class:`StreamDecoder` is what a connection uses: feed it each socket read and iterate the
complete packets. It rejects a packet as soon as its fixed header announces a remaining
length above the limit, without buffering the body, and it refuses a first packet that is
not CONNECT. All malformed input raises :class:`MqttProtocolError` carrying the reason code
to answer with; nothing else escapes (the fuzz tests hold us to that).

Performance: fields are read with slicing and ``struct`` from one buffer per read; the only
per-byte loop is the at most four-byte variable integer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from industryos.transport.mqtt import wire
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packet_types import PacketType, ProtocolLevel
from industryos.transport.mqtt.packets import (
    NO_PROPERTIES,
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
    Will,
)
from industryos.transport.mqtt.properties import WILL, decode_properties, encode_properties
from industryos.transport.mqtt.reason_codes import ReasonCode

__all__ = ["StreamDecoder", "decode", "encode", "packet_size"]

_PROTOCOL_NAMES = {"MQTT", "MQIsdp"}
_V5 = ProtocolLevel.MQTT_5
_FIXED_FLAGS: dict[int, int] = {
    PacketType.PUBREL: 2,
    PacketType.SUBSCRIBE: 2,
    PacketType.UNSUBSCRIBE: 2,
}
_PubAck = Puback | Pubrec | Pubrel | Pubcomp
Decoder = Callable[[int, bytes, int, int, bool], Packet]


def _protocol_error(message: str) -> MqttProtocolError:
    return MqttProtocolError(ReasonCode.PROTOCOL_ERROR, message)


def _expect_end(pos: int, end: int) -> None:
    if pos != end:
        raise wire.malformed("packet has trailing bytes")


def _packet_id(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    packet_id, pos = wire.read_u16(buf, pos, end)
    if packet_id == 0:
        raise _protocol_error("packet identifier 0")
    return packet_id, pos


# --- decoders: (flags, buf, pos, end, v5) -> packet -----------------------------------


def _decode_connect(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Connect:
    name, pos = wire.read_str(buf, pos, end)
    level, pos = wire.read_u8(buf, pos, end)
    if name not in _PROTOCOL_NAMES or level not in (3, 4, 5):
        raise MqttProtocolError(
            ReasonCode.UNSUPPORTED_PROTOCOL_VERSION,
            f"unsupported protocol {name!r} level {level}",
            protocol_level=level,
        )
    try:
        return _decode_connect_rest(ProtocolLevel(level), buf, pos, end)
    except MqttProtocolError as exc:
        exc.protocol_level = level
        raise


def _decode_connect_rest(level: ProtocolLevel, buf: bytes, pos: int, end: int) -> Connect:
    v5 = level == _V5
    flags, pos = wire.read_u8(buf, pos, end)
    keep_alive, pos = wire.read_u16(buf, pos, end)
    will_flag, will_qos, will_retain = flags & 0x04, (flags >> 3) & 3, bool(flags & 0x20)
    if flags & 0x01 or will_qos == 3 or (not will_flag and (will_qos or will_retain)):
        raise wire.malformed("invalid CONNECT flags")
    if not v5 and flags & 0x40 and not flags & 0x80:
        raise wire.malformed("password without user name")
    props = NO_PROPERTIES
    if v5:
        props, pos = decode_properties(buf, pos, end, PacketType.CONNECT)
    client_id, pos = wire.read_str(buf, pos, end)
    will = None
    if will_flag:
        will_props = NO_PROPERTIES
        if v5:
            will_props, pos = decode_properties(buf, pos, end, WILL)
        will_topic, pos = wire.read_str(buf, pos, end)
        will_payload, pos = wire.read_binary(buf, pos, end)
        will = Will(will_topic, will_payload, will_qos, will_retain, will_props)
    username = password = None
    if flags & 0x80:
        username, pos = wire.read_str(buf, pos, end)
    if flags & 0x40:
        password, pos = wire.read_binary(buf, pos, end)
    _expect_end(pos, end)
    return Connect(
        client_id, level, bool(flags & 0x02), keep_alive, username, password, will, props
    )


def _decode_connack(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Connack:
    ack_flags, pos = wire.read_u8(buf, pos, end)
    code, pos = wire.read_u8(buf, pos, end)
    if ack_flags & 0xFE:
        raise wire.malformed("reserved CONNACK flags set")
    props = NO_PROPERTIES
    if v5:
        props, pos = decode_properties(buf, pos, end, PacketType.CONNACK)
    _expect_end(pos, end)
    return Connack(bool(ack_flags), code, props)


def _decode_publish(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Publish:
    qos = (flags >> 1) & 3
    if qos == 3:
        raise wire.malformed("PUBLISH with QoS 3")
    if flags & 0x08 and not qos:
        raise wire.malformed("DUP set on a QoS 0 PUBLISH")
    topic, pos = wire.read_str(buf, pos, end)
    if "+" in topic or "#" in topic:
        raise MqttProtocolError(ReasonCode.TOPIC_NAME_INVALID, "wildcard in topic name")
    if not topic and not v5:
        raise wire.malformed("empty topic name")
    packet_id = 0
    if qos:
        packet_id, pos = _packet_id(buf, pos, end)
    props = NO_PROPERTIES
    if v5:
        props, pos = decode_properties(buf, pos, end, PacketType.PUBLISH)
    return Publish(
        topic, bytes(buf[pos:end]), qos, bool(flags & 1), bool(flags & 8), packet_id, props
    )


def _ack_decoder(cls: type[_PubAck]) -> Decoder:
    packet_type = cls.packet_type

    def decode_ack(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Packet:
        packet_id, pos = _packet_id(buf, pos, end)
        code, props = 0, NO_PROPERTIES
        if v5 and pos < end:
            code, pos = wire.read_u8(buf, pos, end)
            if pos < end:
                props, pos = decode_properties(buf, pos, end, packet_type)
        _expect_end(pos, end)
        return cls(packet_id, code, props)

    return decode_ack


def _decode_subscribe(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Subscribe:
    packet_id, pos = _packet_id(buf, pos, end)
    props = NO_PROPERTIES
    if v5:
        props, pos = decode_properties(buf, pos, end, PacketType.SUBSCRIBE)
    subscriptions = []
    reserved = 0xC0 if v5 else 0xFC
    while pos < end:
        topic_filter, pos = wire.read_str(buf, pos, end)
        options, pos = wire.read_u8(buf, pos, end)
        if options & reserved or options & 3 == 3 or (options >> 4) & 3 == 3:
            raise wire.malformed("invalid subscription options")
        if not topic_filter:
            raise _protocol_error("empty topic filter")
        subscriptions.append(
            Subscription(
                topic_filter, options & 3, bool(options & 4), bool(options & 8), options >> 4
            )
        )
    if not subscriptions:
        raise _protocol_error("SUBSCRIBE without topic filters")
    return Subscribe(packet_id, subscriptions, props)


def _decode_unsubscribe(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Unsubscribe:
    packet_id, pos = _packet_id(buf, pos, end)
    props = NO_PROPERTIES
    if v5:
        props, pos = decode_properties(buf, pos, end, PacketType.UNSUBSCRIBE)
    topic_filters = []
    while pos < end:
        topic_filter, pos = wire.read_str(buf, pos, end)
        topic_filters.append(topic_filter)
    if not topic_filters:
        raise _protocol_error("UNSUBSCRIBE without topic filters")
    return Unsubscribe(packet_id, topic_filters, props)


def _codes_decoder(cls: type[Suback] | type[Unsuback]) -> Decoder:
    packet_type = cls.packet_type

    def decode_codes(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Packet:
        packet_id, pos = _packet_id(buf, pos, end)
        props = NO_PROPERTIES
        if v5:
            props, pos = decode_properties(buf, pos, end, packet_type)
        codes = list(buf[pos:end])
        if cls is Unsuback and not v5 and codes:
            raise wire.malformed("v3 UNSUBACK with payload")
        return cls(packet_id, codes, props)

    return decode_codes


def _empty_decoder(cls: type[Pingreq] | type[Pingresp]) -> Decoder:
    def decode_empty(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Packet:
        _expect_end(pos, end)
        return cls()

    return decode_empty


def _reason_decoder(cls: type[Disconnect] | type[Auth]) -> Decoder:
    packet_type = cls.packet_type

    def decode_reason(flags: int, buf: bytes, pos: int, end: int, v5: bool) -> Packet:
        if not v5 and cls is Auth:
            raise wire.malformed("AUTH is reserved before MQTT 5")
        code, props = 0, NO_PROPERTIES
        if v5 and pos < end:
            code, pos = wire.read_u8(buf, pos, end)
            if pos < end:
                props, pos = decode_properties(buf, pos, end, packet_type)
        _expect_end(pos, end)
        return cls(code, props)

    return decode_reason


_DECODERS: dict[int, Decoder] = {
    PacketType.CONNECT: _decode_connect,
    PacketType.CONNACK: _decode_connack,
    PacketType.PUBLISH: _decode_publish,
    PacketType.PUBACK: _ack_decoder(Puback),
    PacketType.PUBREC: _ack_decoder(Pubrec),
    PacketType.PUBREL: _ack_decoder(Pubrel),
    PacketType.PUBCOMP: _ack_decoder(Pubcomp),
    PacketType.SUBSCRIBE: _decode_subscribe,
    PacketType.SUBACK: _codes_decoder(Suback),
    PacketType.UNSUBSCRIBE: _decode_unsubscribe,
    PacketType.UNSUBACK: _codes_decoder(Unsuback),
    PacketType.PINGREQ: _empty_decoder(Pingreq),
    PacketType.PINGRESP: _empty_decoder(Pingresp),
    PacketType.DISCONNECT: _reason_decoder(Disconnect),
    PacketType.AUTH: _reason_decoder(Auth),
}


def decode(first_byte: int, buf: bytes, start: int, end: int, v5: bool) -> Packet:
    """Decode one packet whose fixed header byte is ``first_byte`` and body is buf[start:end]."""
    packet_type, flags = first_byte >> 4, first_byte & 0x0F
    decoder = _DECODERS.get(packet_type)
    if decoder is None:
        raise wire.malformed("reserved packet type 0")
    if packet_type != PacketType.PUBLISH and flags != _FIXED_FLAGS.get(packet_type, 0):
        raise wire.malformed("invalid fixed header flags")
    return decoder(flags, buf, start, end, v5)


# --- encoders: (packet, v5) -> bytes ---------------------------------------------------


def _frame(first_byte: int, body: bytes) -> bytes:
    size = len(body)
    if size < 0x80:
        return bytes((first_byte, size)) + body
    return bytes((first_byte,)) + wire.varint(size) + body


def _encode_connect(packet: Connect, v5: bool) -> bytes:
    will = packet.will
    flags = (0x02 if packet.clean_start else 0) | (0x80 if packet.username is not None else 0)
    flags |= 0x40 if packet.password is not None else 0
    if will is not None:
        flags |= 0x04 | (will.qos << 3) | (0x20 if will.retain else 0)
    parts = [
        wire.string(packet.protocol_name),
        bytes((packet.protocol_level, flags)),
        wire.u16(packet.keep_alive),
    ]
    v5 = packet.protocol_level == _V5
    if v5:
        parts.append(encode_properties(packet.properties))
    parts.append(wire.string(packet.client_id))
    if will is not None:
        if v5:
            parts.append(encode_properties(will.properties))
        parts += [wire.string(will.topic), wire.binary(will.payload)]
    if packet.username is not None:
        parts.append(wire.string(packet.username))
    if packet.password is not None:
        parts.append(wire.binary(packet.password))
    return _frame(0x10, b"".join(parts))


def _encode_connack(packet: Connack, v5: bool) -> bytes:
    body = bytes((1 if packet.session_present else 0, packet.reason_code))
    if v5:
        body += encode_properties(packet.properties)
    return _frame(0x20, body)


def _encode_publish(packet: Publish, v5: bool) -> bytes:
    first = 0x30 | (packet.qos << 1) | (1 if packet.retain else 0) | (8 if packet.dup else 0)
    topic = packet.topic.encode()
    head = wire.U16.pack(len(topic)) + topic
    if packet.qos:
        head += wire.U16.pack(packet.packet_id)
    if v5:
        head += encode_properties(packet.properties)
    return _frame(first, head + packet.payload)


def _encode_ack(packet: _PubAck, v5: bool) -> bytes:
    first = (packet.packet_type << 4) | _FIXED_FLAGS.get(packet.packet_type, 0)
    body = wire.U16.pack(packet.packet_id)
    if v5 and (packet.reason_code or packet.properties is not NO_PROPERTIES):
        body += bytes((packet.reason_code,))
        if packet.properties is not NO_PROPERTIES:
            body += encode_properties(packet.properties)
    return _frame(first, body)


def _encode_subscribe(packet: Subscribe, v5: bool) -> bytes:
    parts = [wire.U16.pack(packet.packet_id)]
    if v5:
        parts.append(encode_properties(packet.properties))
    for sub in packet.subscriptions:
        options = sub.qos
        if v5:
            options |= (sub.no_local << 2) | (sub.retain_as_published << 3)
            options |= sub.retain_handling << 4
        parts += [wire.string(sub.topic_filter), bytes((options,))]
    return _frame(0x82, b"".join(parts))


def _encode_codes(packet: Suback | Unsuback, v5: bool) -> bytes:
    body = wire.U16.pack(packet.packet_id)
    if v5:
        body += encode_properties(packet.properties) + bytes(packet.reason_codes)
    elif isinstance(packet, Suback):
        body += bytes(packet.reason_codes)
    return _frame(packet.packet_type << 4, body)


def _encode_unsubscribe(packet: Unsubscribe, v5: bool) -> bytes:
    parts = [wire.U16.pack(packet.packet_id)]
    if v5:
        parts.append(encode_properties(packet.properties))
    parts += [wire.string(topic_filter) for topic_filter in packet.topic_filters]
    return _frame(0xA2, b"".join(parts))


def _encode_empty(packet: Pingreq | Pingresp, v5: bool) -> bytes:
    return bytes((packet.packet_type << 4, 0))


def _encode_reason(packet: Disconnect | Auth, v5: bool) -> bytes:
    body = b""
    if v5 and (packet.reason_code or packet.properties is not NO_PROPERTIES):
        body = bytes((packet.reason_code,)) + encode_properties(packet.properties)
    return _frame(packet.packet_type << 4, body)


_ENCODERS: dict[type[Any], Callable[[Any, bool], bytes]] = {
    Connect: _encode_connect,
    Connack: _encode_connack,
    Publish: _encode_publish,
    Puback: _encode_ack,
    Pubrec: _encode_ack,
    Pubrel: _encode_ack,
    Pubcomp: _encode_ack,
    Subscribe: _encode_subscribe,
    Suback: _encode_codes,
    Unsubscribe: _encode_unsubscribe,
    Unsuback: _encode_codes,
    Pingreq: _encode_empty,
    Pingresp: _encode_empty,
    Disconnect: _encode_reason,
    Auth: _encode_reason,
}


def encode(packet: Packet, v5: bool) -> bytes:
    """The wire bytes of ``packet`` for an MQTT 5 (``v5``) or a 3.1/3.1.1 connection."""
    return _ENCODERS[type(packet)](packet, v5)


def packet_size(remaining_length: int) -> int:
    """Total size of a packet with this remaining length (fixed header included)."""
    return 1 + len(wire.varint(remaining_length)) + remaining_length


# --- stream decoding -------------------------------------------------------------------


class StreamDecoder:
    """Turns a connection's byte stream into packets; one instance per connection.

    The protocol level is learnt from the CONNECT, so packets that follow it in the same
    read are decoded with the right rules.
    """

    __slots__ = ("_chunks", "_expect_connect", "_have", "_need", "max_remaining_length", "v5")

    def __init__(self, max_remaining_length: int = wire.MAX_VARINT, *, server: bool = True):
        self.max_remaining_length = max_remaining_length
        self.v5 = False
        self._expect_connect = server
        self._chunks: list[bytes] = []
        self._have = 0
        self._need = 0

    def feed(self, data: bytes) -> Iterator[Packet]:
        """Add ``data`` and iterate every packet it completes, in order.

        Complete packets before a malformed one are yielded first; the error is raised when
        iteration reaches it, so nothing valid that arrived earlier is lost.
        """
        if self._chunks:
            self._chunks.append(data)
            self._have += len(data)
            if self._have < self._need:
                return
            data = b"".join(self._chunks)
            self._chunks = []
        buf, pos, size, need = data, 0, len(data), 0
        while pos < size:
            first = buf[pos]
            if self._expect_connect and first != 0x10:
                raise _protocol_error("first packet is not CONNECT")
            if size - pos < 2:
                need = 2
                break
            length, start = buf[pos + 1], pos + 2
            if length & 0x80:
                try:
                    length, start = wire.read_varint(buf, pos + 1, size)
                except MqttProtocolError:
                    if size - pos > 4:
                        raise
                    need = size - pos + 1
                    break
            if length > self.max_remaining_length:
                raise MqttProtocolError(
                    ReasonCode.PACKET_TOO_LARGE,
                    f"remaining length {length} above {self.max_remaining_length}",
                )
            end = start + length
            if end > size:
                need = end - pos
                break
            packet = decode(first, buf, start, end, self.v5)
            pos = end
            if self._expect_connect:
                self._expect_connect = False
                self.v5 = isinstance(packet, Connect) and packet.protocol_level == _V5
            yield packet
        if pos < size:
            rest = buf[pos:]
            self._chunks, self._have, self._need = [rest], len(rest), need
