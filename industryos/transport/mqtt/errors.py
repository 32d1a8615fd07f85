"""The MQTT transport's exceptions, one root for the layer.

    MqttError
    ├── MqttProtocolError      the peer sent bytes or a packet sequence we refuse; carries
    │                          the reason code to answer with (CONNACK/DISCONNECT on MQTT 5)
    └── DeliveryError          a server→client publish did not complete
        ├── SessionClosed      the session ended (or was never open) before completion
        ├── DeliveryTimeout    the client did not acknowledge in time
        ├── DeliveryRefused    the client answered with a failure reason code
        └── PacketTooLarge     the packet exceeds the client's Maximum Packet Size

Protocol errors are a misbehaving peer (logged as WARNING) and end only that connection.
"""

from __future__ import annotations

from industryos.transport.mqtt.reason_codes import ReasonCode


class MqttError(Exception):
    """Root of every error the MQTT transport raises."""


class MqttProtocolError(MqttError):
    """Malformed input or a protocol violation; ``reason_code`` is what we answer with."""

    def __init__(
        self, reason_code: ReasonCode, message: str, *, protocol_level: int | None = None
    ) -> None:
        super().__init__(f"{message} (0x{reason_code:02X} {reason_code.name})")
        self.reason_code = reason_code
        self.protocol_level = protocol_level
        """The level a CONNECT announced when the error is in that CONNECT, else None."""


class DeliveryError(MqttError):
    """A publish to a client did not complete."""


class SessionClosed(DeliveryError):
    """The session is closed, so the publish cannot complete."""


class DeliveryTimeout(DeliveryError):
    """The client did not acknowledge the publish within the timeout."""


class DeliveryRefused(DeliveryError):
    """The client acknowledged with a failure reason code (MQTT 5)."""

    def __init__(self, reason_code: int) -> None:
        super().__init__(f"client refused the publish with reason 0x{reason_code:02X}")
        self.reason_code = reason_code


class PacketTooLarge(DeliveryError):
    """The publish is larger than the Maximum Packet Size the client announced."""
