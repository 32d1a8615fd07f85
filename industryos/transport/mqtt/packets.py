"""Typed MQTT control packets (3.1, 3.1.1 and 5.0), as plain data.

One dataclass per packet type, shared by both protocol versions: fields that only MQTT 5
carries (reason codes on acks, properties) keep their defaults on a v3 connection, and the
codec leaves them off the wire. The codec (``codec.py``) is the only place that knows the
byte layout; everything above it handles these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from industryos.transport.mqtt.packet_types import PacketType, ProtocolLevel


@dataclass(frozen=True, slots=True)
class Properties:
    """MQTT 5 properties; each packet type allows a subset (enforced by the codec)."""

    payload_format_indicator: int | None = None
    message_expiry_interval: int | None = None
    content_type: str | None = None
    response_topic: str | None = None
    correlation_data: bytes | None = None
    subscription_identifiers: tuple[int, ...] = ()
    session_expiry_interval: int | None = None
    assigned_client_identifier: str | None = None
    server_keep_alive: int | None = None
    authentication_method: str | None = None
    authentication_data: bytes | None = None
    request_problem_information: int | None = None
    will_delay_interval: int | None = None
    request_response_information: int | None = None
    response_information: str | None = None
    server_reference: str | None = None
    reason_string: str | None = None
    receive_maximum: int | None = None
    topic_alias_maximum: int | None = None
    topic_alias: int | None = None
    maximum_qos: int | None = None
    retain_available: int | None = None
    user_properties: tuple[tuple[str, str], ...] = ()
    maximum_packet_size: int | None = None
    wildcard_subscription_available: int | None = None
    subscription_identifier_available: int | None = None
    shared_subscription_available: int | None = None

    def __repr__(self) -> str:
        """Only the properties that are set, so logs stay readable."""
        fields = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self.__slots__
            if getattr(self, name) not in (None, ())
        )
        return f"Properties({fields})"


NO_PROPERTIES = Properties()
"""The shared empty property set: most packets carry none, so decoding allocates none."""


@dataclass(slots=True)
class Will:
    """A CONNECT's will message (decoded and validated, never published: see docs/mqtt.md)."""

    topic: str
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Connect:
    """CONNECT: the first packet of every connection."""

    packet_type: ClassVar[PacketType] = PacketType.CONNECT
    client_id: str = ""
    protocol_level: ProtocolLevel = ProtocolLevel.MQTT_3_1_1
    clean_start: bool = True
    keep_alive: int = 60
    username: str | None = None
    password: bytes | None = None
    will: Will | None = None
    properties: Properties = NO_PROPERTIES

    @property
    def protocol_name(self) -> str:
        """The protocol name this level is written with ("MQIsdp" for 3.1)."""
        return "MQIsdp" if self.protocol_level == ProtocolLevel.MQTT_3_1 else "MQTT"


@dataclass(slots=True)
class Connack:
    """CONNACK: a v5 reason code, or a v3 return code on a v3 connection."""

    packet_type: ClassVar[PacketType] = PacketType.CONNACK
    session_present: bool = False
    reason_code: int = 0
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Publish:
    """PUBLISH; ``packet_id`` is 0 exactly when ``qos`` is 0."""

    packet_type: ClassVar[PacketType] = PacketType.PUBLISH
    topic: str
    payload: bytes = b""
    qos: int = 0
    retain: bool = False
    dup: bool = False
    packet_id: int = 0
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class _PublishAck:
    """The shape shared by the four QoS handshake packets."""

    packet_type: ClassVar[PacketType]
    packet_id: int
    reason_code: int = 0
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Puback(_PublishAck):
    """PUBACK: completes a QoS 1 delivery."""

    packet_type: ClassVar[PacketType] = PacketType.PUBACK


@dataclass(slots=True)
class Pubrec(_PublishAck):
    """PUBREC: first answer in a QoS 2 delivery."""

    packet_type: ClassVar[PacketType] = PacketType.PUBREC


@dataclass(slots=True)
class Pubrel(_PublishAck):
    """PUBREL: the sender releases a QoS 2 message."""

    packet_type: ClassVar[PacketType] = PacketType.PUBREL


@dataclass(slots=True)
class Pubcomp(_PublishAck):
    """PUBCOMP: completes a QoS 2 delivery."""

    packet_type: ClassVar[PacketType] = PacketType.PUBCOMP


@dataclass(slots=True)
class Subscription:
    """One topic filter of a SUBSCRIBE with its options (all but ``qos`` are MQTT 5 only)."""

    topic_filter: str
    qos: int = 0
    no_local: bool = False
    retain_as_published: bool = False
    retain_handling: int = 0


@dataclass(slots=True)
class Subscribe:
    """SUBSCRIBE."""

    packet_type: ClassVar[PacketType] = PacketType.SUBSCRIBE
    packet_id: int
    subscriptions: list[Subscription] = field(default_factory=list)
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Suback:
    """SUBACK: one granted QoS or failure code per requested filter."""

    packet_type: ClassVar[PacketType] = PacketType.SUBACK
    packet_id: int
    reason_codes: list[int] = field(default_factory=list)
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Unsubscribe:
    """UNSUBSCRIBE."""

    packet_type: ClassVar[PacketType] = PacketType.UNSUBSCRIBE
    packet_id: int
    topic_filters: list[str] = field(default_factory=list)
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Unsuback:
    """UNSUBACK: per-filter reason codes on MQTT 5, none on v3."""

    packet_type: ClassVar[PacketType] = PacketType.UNSUBACK
    packet_id: int
    reason_codes: list[int] = field(default_factory=list)
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Pingreq:
    """PINGREQ."""

    packet_type: ClassVar[PacketType] = PacketType.PINGREQ


@dataclass(slots=True)
class Pingresp:
    """PINGRESP."""

    packet_type: ClassVar[PacketType] = PacketType.PINGRESP


@dataclass(slots=True)
class Disconnect:
    """DISCONNECT, sent by either side (by the server on MQTT 5 only)."""

    packet_type: ClassVar[PacketType] = PacketType.DISCONNECT
    reason_code: int = 0
    properties: Properties = NO_PROPERTIES


@dataclass(slots=True)
class Auth:
    """AUTH (MQTT 5 enhanced authentication exchange)."""

    packet_type: ClassVar[PacketType] = PacketType.AUTH
    reason_code: int = 0
    properties: Properties = NO_PROPERTIES


Packet = (
    Connect
    | Connack
    | Publish
    | Puback
    | Pubrec
    | Pubrel
    | Pubcomp
    | Subscribe
    | Suback
    | Unsubscribe
    | Unsuback
    | Pingreq
    | Pingresp
    | Disconnect
    | Auth
)
"""Any MQTT control packet."""
