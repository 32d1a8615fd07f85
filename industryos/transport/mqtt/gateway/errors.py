"""The gateway API's errors; each carries the answer the gateway gets (spec §5.2).

::

    GatewayError                     PUBACK 0x80, then close (backend failure)
    ├── GatewayPayloadError          v5: PUBACK 0x99, session kept; v3: close
    ├── GatewayRateLimited           v5: PUBACK 0x97, session kept; v3: close
    └── GatewayRequestError          PUBACK 0x83, then close (not an object, no usable
                                     device entries, empty device name)

The handler turns them into a :class:`PublishResult` in one place, so a handler only
raises; it never builds acknowledgements itself.
"""

from __future__ import annotations

from industryos.transport.mqtt.application import PublishResult
from industryos.transport.mqtt.reason_codes import ReasonCode

__all__ = ["GatewayError", "GatewayPayloadError", "GatewayRateLimited", "GatewayRequestError"]


class GatewayError(Exception):
    """A gateway publish that cannot be accepted; the backend failed."""

    reason = ReasonCode.UNSPECIFIED_ERROR

    def result(self, v5: bool) -> PublishResult:
        """The acknowledgement for this error on an MQTT 5 (``v5``) or 3.1.1 session."""
        return PublishResult(ack=self.reason, disconnect=self.reason)


class GatewayPayloadError(GatewayError):
    """The body, or one device's part of it, cannot be read."""

    reason = ReasonCode.PAYLOAD_FORMAT_INVALID

    def result(self, v5: bool) -> PublishResult:
        """v5 keeps the session (PUBACK 0x99); v3 has no code to say it and closes."""
        if v5:
            return PublishResult(ack=self.reason)
        return PublishResult(ack=None, disconnect=self.reason)


class GatewayRateLimited(GatewayPayloadError):
    """A child or the tenant is over a tenant-profile rate limit; nothing was queued."""

    reason = ReasonCode.QUOTA_EXCEEDED


class GatewayRequestError(GatewayError):
    """The body is JSON but not a gateway request: no object, no device, empty name."""

    reason = ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR
