"""The entity model: one pydantic model per entity, shaped as the REST contract shapes it."""

from industryos.entities.models.asset import Asset, AssetInfo, AssetProfile
from industryos.entities.models.audit import ActionStatus, ActionType, AuditLog
from industryos.entities.models.customer import Customer
from industryos.entities.models.device import (
    CredentialsType,
    Device,
    DeviceCredentials,
    DeviceInfo,
)
from industryos.entities.models.device_profile import DeviceProfile
from industryos.entities.models.relation import EntityRelation, RelationTypeGroup
from industryos.entities.models.tenant import Tenant, TenantProfile
from industryos.entities.models.user import Authority, User

__all__ = [
    "ActionStatus",
    "ActionType",
    "Asset",
    "AssetInfo",
    "AssetProfile",
    "AuditLog",
    "Authority",
    "CredentialsType",
    "Customer",
    "Device",
    "DeviceCredentials",
    "DeviceInfo",
    "DeviceProfile",
    "EntityRelation",
    "RelationTypeGroup",
    "Tenant",
    "TenantProfile",
    "User",
]
