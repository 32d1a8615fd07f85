"""Device profiles: transport, provisioning and alarm settings shared by devices."""

from __future__ import annotations

from pydantic import Field

from industryos.entities.fields import (
    DashboardId,
    DeviceProfileId,
    EntityRow,
    JsonObject,
    OtaPackageId,
    RuleChainId,
    TenantId,
)


def default_profile_data() -> JsonObject:
    """The profile data a tenant's ``default`` profile is created with (spec §2.2)."""
    return {
        "configuration": {"type": "DEFAULT"},
        "transportConfiguration": {"type": "DEFAULT"},
        "provisionConfiguration": {"type": "DISABLED", "provisionDeviceSecret": None},
        "alarms": None,
    }


class DeviceProfile(EntityRow):
    """A device profile, unique by name inside its tenant."""

    id: DeviceProfileId | None = None
    tenant_id: TenantId | None = None
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    image: str | None = None
    is_default: bool = Field(False, alias="default")
    type: str = "DEFAULT"
    transport_type: str = "DEFAULT"
    provision_type: str = "DISABLED"
    provision_device_key: str | None = None
    default_rule_chain_id: RuleChainId | None = None
    default_dashboard_id: DashboardId | None = None
    default_queue_name: str | None = None
    default_edge_rule_chain_id: RuleChainId | None = None
    firmware_id: OtaPackageId | None = None
    software_id: OtaPackageId | None = None
    profile_data: JsonObject = Field(default_factory=default_profile_data)
    external_id: DeviceProfileId | None = None
    version: int | None = None
