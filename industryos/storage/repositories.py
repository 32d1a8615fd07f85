"""One repository per entity table, built once per node and shared by the services."""

from __future__ import annotations

from dataclasses import dataclass

from industryos.entities.models import (
    Asset,
    AssetProfile,
    AuditLog,
    Customer,
    Device,
    DeviceCredentials,
    DeviceProfile,
    Tenant,
    TenantProfile,
    User,
)
from industryos.storage import schema
from industryos.storage.repository import Repository


@dataclass(frozen=True, slots=True)
class Repositories:
    """The entity repositories of one database."""

    tenant_profiles: Repository[TenantProfile]
    tenants: Repository[Tenant]
    customers: Repository[Customer]
    users: Repository[User]
    device_profiles: Repository[DeviceProfile]
    devices: Repository[Device]
    device_credentials: Repository[DeviceCredentials]
    asset_profiles: Repository[AssetProfile]
    assets: Repository[Asset]
    audit_logs: Repository[AuditLog]

    @classmethod
    def create(cls) -> Repositories:
        """Bind every entity model to its table."""
        return cls(
            tenant_profiles=Repository(schema.tenant_profile, TenantProfile),
            tenants=Repository(
                schema.tenant, Tenant, search_columns=("title",), sort_aliases={"name": "title"}
            ),
            customers=Repository(
                schema.customer, Customer, search_columns=("title",), sort_aliases={"name": "title"}
            ),
            users=Repository(
                schema.user,
                User,
                search_columns=("email", "first_name", "last_name"),
                sort_aliases={"name": "email"},
            ),
            device_profiles=Repository(schema.device_profile, DeviceProfile),
            devices=Repository(
                schema.device, Device, search_columns=("name", "label"), sort_aliases={}
            ),
            device_credentials=Repository(
                schema.device_credentials, DeviceCredentials, search_columns=("credentials_id",)
            ),
            asset_profiles=Repository(schema.asset_profile, AssetProfile),
            assets=Repository(schema.asset, Asset, search_columns=("name", "label")),
            audit_logs=Repository(
                schema.audit_log,
                AuditLog,
                search_columns=("entity_name", "user_name", "action_type"),
            ),
        )
