"""Typed settings of the MQTT transport; ``node.py`` fills them from the node's Settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_PAYLOAD_SIZE = 65_536
"""ThingsBoard's ``NETTY_MAX_PAYLOAD_SIZE``: the largest remaining length of a packet."""


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Listeners and limits. A port of ``None`` disables that listener; 0 picks a free one."""

    host: str = "0.0.0.0"
    port: int | None = 1883
    tls_port: int | None = 8883
    tls_cert_file: Path | None = None
    """PEM certificate (chain) of the TLS listener; generated self-signed when unset."""
    tls_key_file: Path | None = None
    backlog: int = 2048
    """Connections the kernel completes and queues per listener until we accept them. A
    fleet reconnecting at once (after a restart) overflows a short queue: the SYNs past it
    are dropped and each such device waits for its TCP retry (1, 3, 7, 15, 31 s)."""
    data_dir: Path = Path("./data")
    """Where the self-signed TLS certificate is kept (``mqtt-tls/``)."""
    max_payload_size: int = DEFAULT_MAX_PAYLOAD_SIZE
    """Largest accepted remaining length (variable header + payload) of an inbound packet."""
    receive_maximum: int = 1024
    """Unacknowledged QoS 1/2 publishes a client may have in flight towards us (MQTT 5)."""
    topic_alias_maximum: int = 64
    """Topic aliases a client may define (MQTT 5); 0 forbids them."""
    max_pending_packets: int = 1000
    """Packets read but not yet handled by the application before we stop reading."""
    connect_timeout: float = 10.0
    """Seconds a new connection has to complete TLS and send CONNECT."""
    delivery_timeout: float = 30.0
    """Default seconds a server→client QoS 1/2 publish waits for its acknowledgement."""
    close_timeout: float = 5.0
    """Seconds a closing session gets to hand its last packets to the application."""

    def __post_init__(self) -> None:
        """Refuse values the protocol cannot carry, at start-up rather than per connection."""
        bounds = {
            "max_payload_size": (1, 268_435_455),
            "receive_maximum": (1, 65_535),
            "topic_alias_maximum": (0, 65_535),
            "max_pending_packets": (1, 1_000_000),
        }
        for name, (low, high) in bounds.items():
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"MqttConfig.{name} must be within {low}..{high}")
