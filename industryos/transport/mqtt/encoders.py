"""Per-packet encoders, ``(packet, v5) -> bytes``, one table entry per type.

Fields that only MQTT 5 carries (reason codes, properties) are left off on a v3 connection;
a v5 ack or DISCONNECT with reason 0 and no properties takes its short form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from industryos.transport.mqtt import wire
from industryos.transport.mqtt.packet_types import FIXED_HEADER_FLAGS, ProtocolLevel
from industryos.transport.mqtt.packets import (
    NO_PROPERTIES,
    Auth,
    Connack,
    Connect,
    Disconnect,
    Pingreq,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Unsuback,
    Unsubscribe,
)
from industryos.transport.mqtt.properties import encode_properties

_V5 = ProtocolLevel.MQTT_5
_PubAck = Puback | Pubrec | Pubrel | Pubcomp


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
    first = (packet.packet_type << 4) | FIXED_HEADER_FLAGS.get(packet.packet_type, 0)
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


ENCODERS: dict[type[Any], Callable[[Any, bool], bytes]] = {
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
