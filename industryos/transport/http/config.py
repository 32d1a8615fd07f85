"""Settings of the HTTP device API (spec device-api §3)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HttpDeviceConfig"]


@dataclass(frozen=True, slots=True)
class HttpDeviceConfig:
    """Limits of the HTTP device API.

    ThingsBoard limits ``/api/v1/**`` bodies to 50 MiB and RPC bodies to 64 KiB; we apply
    the node's one ``max_payload_bytes`` to every device body, as MQTT and CoAP do, so a
    device cannot put more into the queue over HTTP than over MQTT.
    """

    max_payload_bytes: int = 65536
    default_timeout_ms: int = 60_000
    """A long poll with no (or a zero) ``timeout`` waits this long (``request_timeout``)."""
    max_timeout_ms: int = 300_000
    """The longest a long poll may ask for (``max_request_timeout``)."""
