"""Encode and decode MQTT 5 property blocks, table-driven.

Each property id is listed exactly once in ``_SPECS`` with its field on
:class:`Properties`, its wire type, the packet types that may carry it and its allowed
values. Anything else (an unknown id, a property on the wrong packet, a repeated
single-valued property, an out-of-range value) is a protocol error or a malformed packet,
as MQTT 5 §2.2.2.2 requires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from industryos.transport.mqtt import wire
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packet_types import PacketType as T
from industryos.transport.mqtt.packet_types import PropertyId as P
from industryos.transport.mqtt.packets import NO_PROPERTIES, Properties
from industryos.transport.mqtt.reason_codes import ReasonCode

Reader = Callable[[bytes, int, int], tuple[Any, int]]
Writer = Callable[[Any], bytes]

WILL = -1
"""Pseudo packet type for the will properties inside CONNECT."""


def _write_u8(value: int) -> bytes:
    return bytes((value,))


_KINDS: dict[str, tuple[Reader, Writer]] = {
    "u8": (wire.read_u8, _write_u8),
    "u16": (wire.read_u16, wire.u16),
    "u32": (wire.read_u32, wire.u32),
    "varint": (wire.read_varint, wire.varint),
    "str": (wire.read_str, wire.string),
    "bin": (wire.read_binary, wire.binary),
    "pair": (wire.read_str_pair, wire.str_pair),
}


@dataclass(frozen=True, slots=True)
class _Spec:
    pid: P
    name: str
    read: Reader
    write: Writer
    packets: frozenset[int]
    multi: bool
    valid: Callable[[Any], bool]


def _any(value: Any) -> bool:
    return True


def _flag(value: Any) -> bool:
    return value in (0, 1)


def _nonzero(value: Any) -> bool:
    return bool(value != 0)


_ACKS = (T.PUBACK, T.PUBREC, T.PUBREL, T.PUBCOMP, T.SUBACK, T.UNSUBACK)
_ALL_WITH_REASON = (T.CONNACK, *_ACKS, T.DISCONNECT, T.AUTH)


def _spec(
    pid: P,
    name: str,
    kind: str,
    packets: tuple[int, ...],
    *,
    multi: bool = False,
    valid: Callable[[Any], bool] = _any,
) -> _Spec:
    read, write = _KINDS[kind]
    return _Spec(pid, name, read, write, frozenset(packets), multi, valid)


_SPECS: dict[int, _Spec] = {
    s.pid: s
    for s in (
        _spec(P.PAYLOAD_FORMAT_INDICATOR, "payload_format_indicator", "u8", (T.PUBLISH, WILL),
              valid=_flag),
        _spec(P.MESSAGE_EXPIRY_INTERVAL, "message_expiry_interval", "u32", (T.PUBLISH, WILL)),
        _spec(P.CONTENT_TYPE, "content_type", "str", (T.PUBLISH, WILL)),
        _spec(P.RESPONSE_TOPIC, "response_topic", "str", (T.PUBLISH, WILL)),
        _spec(P.CORRELATION_DATA, "correlation_data", "bin", (T.PUBLISH, WILL)),
        _spec(P.SUBSCRIPTION_IDENTIFIER, "subscription_identifiers", "varint",
              (T.PUBLISH, T.SUBSCRIBE), multi=True, valid=_nonzero),
        _spec(P.SESSION_EXPIRY_INTERVAL, "session_expiry_interval", "u32",
              (T.CONNECT, T.CONNACK, T.DISCONNECT)),
        _spec(P.ASSIGNED_CLIENT_IDENTIFIER, "assigned_client_identifier", "str", (T.CONNACK,)),
        _spec(P.SERVER_KEEP_ALIVE, "server_keep_alive", "u16", (T.CONNACK,)),
        _spec(P.AUTHENTICATION_METHOD, "authentication_method", "str",
              (T.CONNECT, T.CONNACK, T.AUTH)),
        _spec(P.AUTHENTICATION_DATA, "authentication_data", "bin", (T.CONNECT, T.CONNACK, T.AUTH)),
        _spec(P.REQUEST_PROBLEM_INFORMATION, "request_problem_information", "u8", (T.CONNECT,),
              valid=_flag),
        _spec(P.WILL_DELAY_INTERVAL, "will_delay_interval", "u32", (WILL,)),
        _spec(P.REQUEST_RESPONSE_INFORMATION, "request_response_information", "u8", (T.CONNECT,),
              valid=_flag),
        _spec(P.RESPONSE_INFORMATION, "response_information", "str", (T.CONNACK,)),
        _spec(P.SERVER_REFERENCE, "server_reference", "str", (T.CONNACK, T.DISCONNECT)),
        _spec(P.REASON_STRING, "reason_string", "str", _ALL_WITH_REASON),
        _spec(P.RECEIVE_MAXIMUM, "receive_maximum", "u16", (T.CONNECT, T.CONNACK), valid=_nonzero),
        _spec(P.TOPIC_ALIAS_MAXIMUM, "topic_alias_maximum", "u16", (T.CONNECT, T.CONNACK)),
        _spec(P.TOPIC_ALIAS, "topic_alias", "u16", (T.PUBLISH,)),
        _spec(P.MAXIMUM_QOS, "maximum_qos", "u8", (T.CONNACK,), valid=_flag),
        _spec(P.RETAIN_AVAILABLE, "retain_available", "u8", (T.CONNACK,), valid=_flag),
        _spec(P.USER_PROPERTY, "user_properties", "pair",
              (T.CONNECT, T.PUBLISH, WILL, T.SUBSCRIBE, T.UNSUBSCRIBE, *_ALL_WITH_REASON),
              multi=True),
        _spec(P.MAXIMUM_PACKET_SIZE, "maximum_packet_size", "u32", (T.CONNECT, T.CONNACK),
              valid=_nonzero),
        _spec(P.WILDCARD_SUBSCRIPTION_AVAILABLE, "wildcard_subscription_available", "u8",
              (T.CONNACK,), valid=_flag),
        _spec(P.SUBSCRIPTION_IDENTIFIER_AVAILABLE, "subscription_identifier_available", "u8",
              (T.CONNACK,), valid=_flag),
        _spec(P.SHARED_SUBSCRIPTION_AVAILABLE, "shared_subscription_available", "u8",
              (T.CONNACK,), valid=_flag),
    )
}  # fmt: skip
_ORDERED = sorted(_SPECS.values(), key=lambda s: s.pid)


def _protocol_error(message: str) -> MqttProtocolError:
    return MqttProtocolError(ReasonCode.PROTOCOL_ERROR, message)


def decode_properties(buf: bytes, pos: int, end: int, packet: int) -> tuple[Properties, int]:
    """Read a property block at ``pos`` for a packet of type ``packet`` (or ``WILL``)."""
    if pos < end and buf[pos] == 0:  # the common case: no properties
        return NO_PROPERTIES, pos + 1
    length, pos = wire.read_varint(buf, pos, end)
    stop = pos + length
    if stop > end:
        raise wire.malformed("property block longer than the packet")
    if length == 0:
        return NO_PROPERTIES, stop
    values: dict[str, Any] = {}
    while pos < stop:
        pid = buf[pos]
        spec = _SPECS.get(pid)
        if spec is None:
            raise wire.malformed(f"unknown property 0x{pid:02X}")
        if packet not in spec.packets:
            raise _protocol_error(f"property {spec.pid.name} not allowed on this packet")
        value, pos = spec.read(buf, pos + 1, stop)
        if not spec.valid(value):
            raise _protocol_error(f"property {spec.pid.name} has invalid value {value!r}")
        if spec.multi:
            values[spec.name] = (*values.get(spec.name, ()), value)
        elif spec.name in values:
            raise _protocol_error(f"property {spec.pid.name} repeated")
        else:
            values[spec.name] = value
    return Properties(**values), stop


def encode_properties(props: Properties) -> bytes:
    """A property block: length prefix, then each present property in id order."""
    if props is NO_PROPERTIES:
        return b"\x00"
    parts: list[bytes] = []
    for spec in _ORDERED:
        value = getattr(props, spec.name)
        if spec.multi:
            prefix = bytes((spec.pid,))
            parts.extend(prefix + spec.write(item) for item in value)
        elif value is not None:
            parts.append(bytes((spec.pid,)) + spec.write(value))
    body = b"".join(parts)
    return wire.varint(len(body)) + body
