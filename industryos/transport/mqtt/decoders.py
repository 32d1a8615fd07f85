"""Per-packet decoders, ``(flags, buf, pos, end, v5) -> packet``, one table entry per type.

Each reads the body ``buf[pos:end]`` of one packet whose fixed header ``codec.py`` has
already parsed, and raises :class:`MqttProtocolError` for anything malformed.
"""

from __future__ import annotations

from collections.abc import Callable

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
from industryos.transport.mqtt.properties import WILL, decode_properties
from industryos.transport.mqtt.reason_codes import ReasonCode

_PROTOCOL_NAMES = {"MQTT", "MQIsdp"}
_V5 = ProtocolLevel.MQTT_5
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


DECODERS: dict[int, Decoder] = {
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
