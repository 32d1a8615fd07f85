"""First-start data: the system administrator always, the demo tenant when demo is on.

Runs only on an empty database (no users). The accounts are documented in README.md with
the advice to change their passwords.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from industryos.entities.access import Caller
from industryos.entities.asset_service import AssetService
from industryos.entities.device_service import DeviceService
from industryos.entities.ids import NULL_UUID, EntityType, new_id
from industryos.entities.models import (
    Asset,
    Authority,
    Customer,
    Device,
    EntityRelation,
    Tenant,
    User,
)
from industryos.entities.models.relation import EntityRef
from industryos.entities.relation_service import RelationService
from industryos.entities.tenant_service import TenantService
from industryos.entities.user_service import UserService
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

log = logging.getLogger(__name__)

SYSADMIN_EMAIL = "sysadmin@industryos.local"
TENANT_ADMIN_EMAIL = "tenant@industryos.local"
CUSTOMER_USER_EMAIL = "customer@industryos.local"
DEMO_DEVICES = ("Thermostat A", "Thermostat B", "Pump 1")
DEMO_ASSET = "Building 1"


@dataclass(frozen=True, slots=True)
class Bootstrap:
    """The services first-start data goes through."""

    db: Database
    repos: Repositories
    users: UserService
    tenants: TenantService
    devices: DeviceService
    assets: AssetService | None = None
    relations: RelationService | None = None

    async def run(self, *, demo: bool) -> None:
        """Create the sysadmin (and the demo tenant) when the database has no users."""
        async with self.db.read() as conn:
            if await self.repos.users.count(conn):
                return
        sysadmin = await self.users.create(
            User(
                email=SYSADMIN_EMAIL,
                authority=Authority.SYS_ADMIN,
                first_name="System",
                last_name="Administrator",
            ),
            "sysadmin",
        )
        log.info("created system administrator %s", SYSADMIN_EMAIL)
        if demo:
            await self._demo_tenant(sysadmin)

    async def _demo_tenant(self, sysadmin: User) -> None:
        assert sysadmin.id is not None
        as_sysadmin = Caller(sysadmin.id, sysadmin.email, Authority.SYS_ADMIN)
        tenant = await self.tenants.save(as_sysadmin, Tenant(title="Demo Tenant"))
        assert tenant.id is not None
        admin = await self.users.create(
            User(
                email=TENANT_ADMIN_EMAIL,
                authority=Authority.TENANT_ADMIN,
                tenant_id=tenant.id,
                first_name="Demo",
                last_name="Admin",
            ),
            "tenant",
        )
        assert admin.id is not None
        async with self.db.transaction() as conn:
            customer = await self.repos.customers.insert(
                conn, Customer(id=new_id(), tenant_id=tenant.id, title="Demo Customer")
            )
        assert customer.id is not None
        await self.users.create(
            User(
                email=CUSTOMER_USER_EMAIL,
                authority=Authority.CUSTOMER_USER,
                tenant_id=tenant.id,
                customer_id=customer.id,
                first_name="Demo",
                last_name="Customer",
            ),
            "customer",
        )
        as_admin = Caller(admin.id, admin.email, Authority.TENANT_ADMIN, tenant.id, NULL_UUID)
        device_ids = []
        for index, name in enumerate(DEMO_DEVICES):
            device = await self.devices.save(
                as_admin,
                Device(
                    name=name,
                    type="thermostat" if "Thermostat" in name else "default",
                    label=f"Demo device {index + 1}",
                ),
            )
            assert device.id is not None
            device_ids.append(device.id)
            if index == 0:
                await self.devices.assign_to_customer(as_admin, device.id, customer.id)
        await self._demo_building(as_admin, device_ids)
        log.info("created demo tenant with %d devices", len(DEMO_DEVICES))

    async def _demo_building(self, as_admin: Caller, device_ids: list[uuid.UUID]) -> None:
        """An asset that ``Contains`` every demo device, so relation views have a tree."""
        if self.assets is None or self.relations is None:
            return
        building = await self.assets.save(as_admin, Asset(name=DEMO_ASSET, type="building"))
        assert building.id is not None
        for device_id in device_ids:
            await self.relations.save(
                as_admin,
                EntityRelation(
                    from_=EntityRef(entity_type=EntityType.ASSET, id=building.id),
                    to=EntityRef(entity_type=EntityType.DEVICE, id=device_id),
                    type="Contains",
                ),
            )
