"""Devices and their credentials."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from industryos.entities.fields import (
    CustomerId,
    DeviceId,
    DeviceProfileId,
    EntityRow,
    JsonObject,
    OtaPackageId,
    PlainId,
    TenantId,
)
from industryos.entities.ids import NULL_UUID


class CredentialsType(StrEnum):
    """How a device proves who it is (wire names, note the LwM2M suffix)."""

    ACCESS_TOKEN = "ACCESS_TOKEN"
    X509_CERTIFICATE = "X509_CERTIFICATE"
    MQTT_BASIC = "MQTT_BASIC"
    LWM2M_CREDENTIALS = "LWM2M_CREDENTIALS"


def default_device_data() -> JsonObject:
    """Device data of a device with the default transport."""
    return {"configuration": {"type": "DEFAULT"}, "transportConfiguration": {"type": "DEFAULT"}}


class Device(EntityRow):
    """A device: unique by name inside its tenant, typed by its device profile."""

    id: DeviceId | None = None
    tenant_id: TenantId | None = None
    customer_id: CustomerId = NULL_UUID
    device_profile_id: DeviceProfileId | None = None
    name: str = Field(min_length=1, max_length=255)
    type: str | None = Field(None, max_length=255)
    label: str | None = Field(None, max_length=255)
    device_data: JsonObject | None = None
    firmware_id: OtaPackageId | None = None
    software_id: OtaPackageId | None = None
    additional_info: Any = None
    external_id: DeviceId | None = None
    version: int | None = None

    @property
    def is_gateway(self) -> bool:
        """True when ``additionalInfo.gateway`` marks the device as a field gateway."""
        info = self.additional_info
        return isinstance(info, dict) and bool(info.get("gateway"))


class DeviceInfo(Device):
    """A device with the names of its owner and profile, for tables."""

    customer_title: str | None = None
    customer_is_public: bool = False
    device_profile_name: str | None = None
    active: bool = False


class DeviceCredentials(EntityRow):
    """The one set of credentials of a device."""

    id: PlainId | None = None
    device_id: DeviceId | None = None
    credentials_type: CredentialsType = CredentialsType.ACCESS_TOKEN
    credentials_id: str | None = Field(None, max_length=255)
    credentials_value: str | None = None
    version: int | None = None
