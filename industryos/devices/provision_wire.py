"""The provisioning wire format (spec device-api §2.12, §3, §4, §8.2): enums, request, response.

The same JSON travels over MQTT ``/provision/request``, HTTP ``POST /api/v1/provision`` and
CoAP ``/api/v1/provision``, so parsing and rendering live here once; the transports only
choose how to deliver the bytes. A request that is not a JSON object, or that lacks
``provisionDeviceKey`` / ``provisionDeviceSecret``, is a :class:`ProvisionRequestError`
(a hard error on every transport: MQTT 0x83 and close, HTTP 500, CoAP 4.00). Everything
else is answered with a status in the body.

Not implemented: the protobuf ``ProvisionDeviceRequestMsg`` fallback for payloads that are
not JSON (they are refused like any malformed request).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from industryos.entities.models import CredentialsType

__all__ = [
    "ProvisionMsgType",
    "ProvisionRequest",
    "ProvisionRequestError",
    "ProvisionResponse",
    "ProvisionStatus",
    "ProvisionType",
    "parse_request",
]

PROVISION_STATE_KEY = "provisionState"
"""SERVER_SCOPE attribute marking a provisioned device."""
PROVISIONED = "provisioned"

NOT_FOUND_MSG = "Provision data was not found!"
FAILURE_MSG = "Failed to provision device!"

_CREDENTIAL_TYPES = {
    CredentialsType.ACCESS_TOKEN,
    CredentialsType.MQTT_BASIC,
    CredentialsType.X509_CERTIFICATE,
}


class ProvisionType(StrEnum):
    """A device profile's ``provisionType`` (strategy)."""

    DISABLED = "DISABLED"
    ALLOW_CREATE_NEW_DEVICES = "ALLOW_CREATE_NEW_DEVICES"
    CHECK_PRE_PROVISIONED_DEVICES = "CHECK_PRE_PROVISIONED_DEVICES"
    X509_CERTIFICATE_CHAIN = "X509_CERTIFICATE_CHAIN"


class ProvisionStatus(StrEnum):
    """``status`` of a provisioning response."""

    SUCCESS = "SUCCESS"
    NOT_FOUND = "NOT_FOUND"
    FAILURE = "FAILURE"


class ProvisionMsgType(StrEnum):
    """Rule-engine message types announcing a provisioning outcome (no relation label)."""

    PROVISION_SUCCESS = "PROVISION_SUCCESS"
    PROVISION_FAILURE = "PROVISION_FAILURE"


class ProvisionRequestError(ValueError):
    """The request cannot be read: not a JSON object, or the key or secret is missing."""


@dataclass(frozen=True, slots=True)
class ProvisionRequest:
    """What a device asks for; credential fields are the device's own choice (optional)."""

    provision_device_key: str
    provision_device_secret: str
    device_name: str | None = None
    credentials_type: CredentialsType = CredentialsType.ACCESS_TOKEN
    token: str | None = None
    client_id: str | None = None
    username: str | None = None
    password: str | None = None
    certificate: str | None = None
    """The PEM text the device sends as ``hash`` (despite the name)."""
    gateway: bool = False

    def to_json(self) -> dict[str, Any]:
        """The request without secrets, for audit entries and rule-engine messages."""
        return {
            "deviceName": self.device_name,
            "provisionDeviceKey": self.provision_device_key,
            "credentialsType": self.credentials_type.value,
            "gateway": self.gateway,
        }


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProvisionRequestError(f"{name} must be a string")
    return value


def parse_request(payload: bytes) -> ProvisionRequest:
    """Read a JSON provisioning request; raises :class:`ProvisionRequestError`."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ProvisionRequestError(f"invalid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ProvisionRequestError("a provisioning request must be a JSON object")
    key = _text(body, "provisionDeviceKey")
    secret = _text(body, "provisionDeviceSecret")
    if key is None or secret is None:
        raise ProvisionRequestError("provisionDeviceKey and provisionDeviceSecret are required")
    kind_name = _text(body, "credentialsType") or CredentialsType.ACCESS_TOKEN.value
    try:
        kind = CredentialsType(kind_name)
    except ValueError:
        raise ProvisionRequestError(f"unsupported credentialsType {kind_name!r}") from None
    if kind not in _CREDENTIAL_TYPES:
        raise ProvisionRequestError(f"unsupported credentialsType {kind_name!r}")
    gateway = body.get("gateway", False)
    return ProvisionRequest(
        provision_device_key=key,
        provision_device_secret=secret,
        device_name=_text(body, "deviceName"),
        credentials_type=kind,
        token=_text(body, "token"),
        client_id=_text(body, "clientId"),
        username=_text(body, "username"),
        password=_text(body, "password"),
        certificate=_text(body, "hash"),
        gateway=gateway is True or gateway == "true",
    )


@dataclass(frozen=True, slots=True)
class ProvisionResponse:
    """The answer: credentials on SUCCESS, an ``errorMsg`` otherwise."""

    status: ProvisionStatus
    credentials_type: CredentialsType | None = None
    credentials_value: Any = None
    """Token text, the ``{"clientId","userName","password"}`` object, or the certificate."""

    @classmethod
    def not_found(cls) -> ProvisionResponse:
        """Unknown key, wrong secret, or provisioning disabled for the profile."""
        return cls(ProvisionStatus.NOT_FOUND)

    @classmethod
    def failure(cls) -> ProvisionResponse:
        """The profile was found but the device cannot be provisioned."""
        return cls(ProvisionStatus.FAILURE)

    @property
    def ok(self) -> bool:
        """True on SUCCESS."""
        return self.status is ProvisionStatus.SUCCESS

    def to_json(self) -> bytes:
        """The response body every transport sends."""
        if self.status is ProvisionStatus.SUCCESS:
            assert self.credentials_type is not None
            body: dict[str, Any] = {
                "credentialsType": self.credentials_type.value,
                "credentialsValue": self.credentials_value,
                "status": self.status.value,
            }
        else:
            message = NOT_FOUND_MSG if self.status is ProvisionStatus.NOT_FOUND else FAILURE_MSG
            body = {"errorMsg": message, "status": self.status.value}
        return orjson.dumps(body)
