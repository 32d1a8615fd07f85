"""Wire constants of server-side RPC: persistent statuses and their rule-engine messages.

ThingsBoard's ``RpcStatus`` names are the wire values of ``GET /api/rpc/persistent/...``
and of the ``rpcStatus`` filter; each transition is announced to the rule engine as a
message of type ``RPC_<STATUS>`` (spec platform-api §3.7, §5.2).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE_STATUSES", "RpcStatus"]


class RpcStatus(StrEnum):
    """Where a persistent RPC is in its life."""

    QUEUED = "QUEUED"
    """Stored; waiting for a session of the device that takes RPCs."""
    SENT = "SENT"
    """Handed to a session; no delivery acknowledgement yet."""
    DELIVERED = "DELIVERED"
    """Acknowledged by the device (MQTT PUBACK, HTTP long poll answered); reply pending."""
    SUCCESSFUL = "SUCCESSFUL"
    """One-way call delivered, or two-way call answered."""
    TIMEOUT = "TIMEOUT"
    """Delivered, but not answered before its expiration."""
    EXPIRED = "EXPIRED"
    """Its ``expirationTime`` passed before it could be delivered."""
    FAILED = "FAILED"
    """Every delivery attempt (1 + ``retries``) failed."""
    DELETED = "DELETED"
    """Removed through ``DELETE /api/rpc/persistent/{rpcId}`` (message only, no row)."""

    @property
    def msg_type(self) -> str:
        """The rule-engine message type announcing this status."""
        return f"RPC_{self.value}"


ACTIVE_STATUSES = frozenset({RpcStatus.QUEUED, RpcStatus.SENT, RpcStatus.DELIVERED})
"""Statuses that can still change (and therefore expire)."""
