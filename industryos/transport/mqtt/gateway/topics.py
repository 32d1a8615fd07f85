"""The gateway API's wire constants (spec device-api §5.2, §5.3, §5.5): topics and methods.

Uplinks are routed by one exact-topic table; anything else under ``v1/gateway/`` is an
unknown topic (0x90). Downlinks are published on the gateway's own connection, whether
or not it subscribed (the gateway never subscribes to ``v1/gateway/disconnect``, §2.3).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CREATED_RELATION", "Downlink", "GatewayMethod", "Uplink"]

CREATED_RELATION = "Created"
"""Relation type from a gateway to each child it created (§5.4)."""


class Uplink(StrEnum):
    """Gateway → server topics (§5.2)."""

    CONNECT = "v1/gateway/connect"
    DISCONNECT = "v1/gateway/disconnect"
    TELEMETRY = "v1/gateway/telemetry"
    ATTRIBUTES = "v1/gateway/attributes"
    ATTRIBUTE_REQUEST = "v1/gateway/attributes/request"
    RPC_REPLY = "v1/gateway/rpc"
    CLAIM = "v1/gateway/claim"


class Downlink(StrEnum):
    """Server → gateway topics (§5.3)."""

    ATTRIBUTES = "v1/gateway/attributes"
    ATTRIBUTE_RESPONSE = "v1/gateway/attributes/response"
    RPC = "v1/gateway/rpc"
    DISCONNECT = "v1/gateway/disconnect"


class GatewayMethod(StrEnum):
    """Service RPCs the server sends to the gateway device itself (§5.5)."""

    DEVICE_RENAMED = "gateway_device_renamed"
    DEVICE_DELETED = "gateway_device_deleted"
