"""Wire constants of the CoAP device API (spec device-api §4): features and options."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = ["API_PREFIX", "ContentFormat", "Feature", "ObserveFlag"]

API_PREFIX = ("api", "v1")
"""Every device resource is ``/api/v1/{token}/{feature}[/{id}]``."""


class Feature(StrEnum):
    """The path segment after the token."""

    TELEMETRY = "telemetry"
    ATTRIBUTES = "attributes"
    RPC = "rpc"
    CLAIM = "claim"


class ObserveFlag(IntEnum):
    """Values of the Observe option in a request (RFC 7641)."""

    REGISTER = 0
    DEREGISTER = 1


class ContentFormat(IntEnum):
    """Content-Format numbers the transport answers with."""

    JSON = 50
