"""First-start data: the system administrator always, the demo tenant when demo is on.

Runs only on an empty database (no users). The accounts are documented in README.md with
the advice to change their passwords. Their password hashes (~0.13 s of CPU each) are all
handed to the hashing threads at once and computed while the tenant and its entities are
written; each account is created as before, in the same order, once its hash is ready.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Mapping
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
from industryos.entities.passwords import hash_password_async
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
SYSADMIN_PASSWORD = "sysadmin"
TENANT_ADMIN_PASSWORD = "tenant"
CUSTOMER_USER_PASSWORD = "customer"
_DEMO_PASSWORDS = {
    TENANT_ADMIN_EMAIL: TENANT_ADMIN_PASSWORD,
    CUSTOMER_USER_EMAIL: CUSTOMER_USER_PASSWORD,
}


class _Accounts:
    """Creates users whose password hashes were started together, ahead of need."""

    def __init__(self, users: UserService, passwords: Mapping[str, str]) -> None:
        self._users = users
        self._passwords = dict(passwords)
        self._hashes = {
            email: asyncio.create_task(hash_password_async(password), name="hash-password")
            for email, password in passwords.items()
        }

    async def create(self, user: User) -> User:
        """``users.create`` with the password given for ``user.email`` and its hash."""
        hashed = await self._hashes[user.email]
        return await self._users.create(user, self._passwords[user.email], password_hash=hashed)

    async def __aenter__(self) -> _Accounts:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Cancel hashes nobody waited for (a step failed) and wait for them to end."""
        for task in self._hashes.values():
            task.cancel()
        await asyncio.gather(*self._hashes.values(), return_exceptions=True)


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
        passwords = {SYSADMIN_EMAIL: SYSADMIN_PASSWORD, **(_DEMO_PASSWORDS if demo else {})}
        async with _Accounts(self.users, passwords) as accounts:
            sysadmin = await accounts.create(
                User(
                    email=SYSADMIN_EMAIL,
                    authority=Authority.SYS_ADMIN,
                    first_name="System",
                    last_name="Administrator",
                ),
            )
            log.info("created system administrator %s", SYSADMIN_EMAIL)
            if demo:
                await self._demo_tenant(sysadmin, accounts)

    async def _demo_tenant(self, sysadmin: User, accounts: _Accounts | None = None) -> None:
        if accounts is None:  # on its own (a test): hash its two accounts here
            async with _Accounts(self.users, _DEMO_PASSWORDS) as own:
                return await self._demo_tenant(sysadmin, own)
        assert sysadmin.id is not None
        as_sysadmin = Caller(sysadmin.id, sysadmin.email, Authority.SYS_ADMIN)
        tenant = await self.tenants.save(as_sysadmin, Tenant(title="Demo Tenant"))
        assert tenant.id is not None
        admin = await accounts.create(
            User(
                email=TENANT_ADMIN_EMAIL,
                authority=Authority.TENANT_ADMIN,
                tenant_id=tenant.id,
                first_name="Demo",
                last_name="Admin",
            ),
        )
        assert admin.id is not None
        async with self.db.transaction() as conn:
            customer = await self.repos.customers.insert(
                conn, Customer(id=new_id(), tenant_id=tenant.id, title="Demo Customer")
            )
        assert customer.id is not None
        await accounts.create(
            User(
                email=CUSTOMER_USER_EMAIL,
                authority=Authority.CUSTOMER_USER,
                tenant_id=tenant.id,
                customer_id=customer.id,
                first_name="Demo",
                last_name="Customer",
            ),
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
