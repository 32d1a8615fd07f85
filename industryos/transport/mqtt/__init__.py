"""MQTT 3.1/3.1.1/5.0 transport core: codec, sessions and the listeners.

The device business logic plugs in through :class:`MqttApplication`; nothing in this
package knows tenants, devices or the device API's topics. Design notes: docs/mqtt.md.
"""

from industryos.transport.mqtt.application import (
    ACCEPTED,
    Accepted,
    AuthResult,
    MqttApplication,
    PeerCertificate,
    PublishResult,
    Refused,
)
from industryos.transport.mqtt.config import MqttConfig
from industryos.transport.mqtt.errors import (
    DeliveryError,
    DeliveryRefused,
    DeliveryTimeout,
    MqttError,
    MqttProtocolError,
    PacketTooLarge,
    SessionClosed,
)
from industryos.transport.mqtt.packet_types import PacketType, PropertyId, ProtocolLevel
from industryos.transport.mqtt.packets import (
    Connect,
    Properties,
    Publish,
    Subscription,
)
from industryos.transport.mqtt.reason_codes import ConnackReturnCode, ReasonCode
from industryos.transport.mqtt.server import MqttServer
from industryos.transport.mqtt.session import Session, SessionState

__all__ = [
    "ACCEPTED",
    "Accepted",
    "AuthResult",
    "ConnackReturnCode",
    "Connect",
    "DeliveryError",
    "DeliveryRefused",
    "DeliveryTimeout",
    "MqttApplication",
    "MqttConfig",
    "MqttError",
    "MqttProtocolError",
    "MqttServer",
    "PacketTooLarge",
    "PacketType",
    "PeerCertificate",
    "Properties",
    "PropertyId",
    "ProtocolLevel",
    "Publish",
    "PublishResult",
    "ReasonCode",
    "Refused",
    "Session",
    "SessionClosed",
    "SessionState",
    "Subscription",
]
