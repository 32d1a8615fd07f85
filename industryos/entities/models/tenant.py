"""Tenants and tenant profiles (the limits a tenant runs under)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from industryos.entities.fields import EntityRow, JsonObject, TenantId, TenantProfileId
from industryos.entities.models.entity_limits import EntityLimits
from industryos.entities.models.rate_limit import TenantLimits


class ContactInfo(EntityRow):
    """Address fields shared by tenants and customers."""

    country: str | None = None
    state: str | None = None
    city: str | None = None
    address: str | None = None
    address2: str | None = None
    zip: str | None = None
    phone: str | None = None
    email: str | None = None


def default_tenant_profile_data() -> JsonObject:
    """Profile data of the default tenant profile: no limits except the ones we enforce."""
    return {
        "configuration": {
            "type": "DEFAULT",
            "maxDevices": 0,
            "maxAssets": 0,
            "maxCustomers": 0,
            "maxUsers": 0,
            "maxDashboards": 0,
            "maxRuleChains": 0,
            "maxOtaPackagesInBytes": 0,
            "maxCreatedAlarms": 0,
            "maxEmails": 0,
            "maxSms": 0,
            "transportDeviceMsgRateLimit": None,
            "transportTenantMsgRateLimit": None,
            "defaultStorageTtlDays": None,
        }
    }


class TenantProfile(EntityRow):
    """Limits and options shared by the tenants that use the profile."""

    id: TenantProfileId | None = None
    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    is_default: bool = Field(False, alias="default")
    isolated_rule_engine: bool = Field(False, alias="isolatedTbRuleEngine")
    profile_data: JsonObject = Field(default_factory=default_tenant_profile_data)
    version: int | None = None

    @field_validator("profile_data")
    @classmethod
    def _readable_limits(cls, value: JsonObject) -> JsonObject:
        """Refuse limits that could not be enforced (``capacity:seconds``, counts >= 0)."""
        TenantLimits.from_configuration(value.get("configuration"))
        EntityLimits.check_configuration(value.get("configuration"))
        return value


class Tenant(ContactInfo):
    """An isolated organisation: everything else belongs to exactly one tenant."""

    id: TenantId | None = None
    title: str = Field(min_length=1, max_length=255)
    region: str | None = None
    tenant_profile_id: TenantProfileId | None = None
    additional_info: Any = None
    version: int | None = None

    @property
    def name(self) -> str:
        """Read-only alias of ``title``."""
        return self.title

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        wire["name"] = self.title
        return wire
