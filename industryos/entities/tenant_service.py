"""Tenants and tenant profiles: a new tenant starts with its default profiles.

Other subsystems add their own per-tenant defaults (the rule engine its root rule chain)
through :meth:`TenantService.on_tenant_created`, so this module needs no knowledge of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.models import AssetProfile, Authority, Tenant, TenantProfile
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

TenantHook = Callable[[Tenant], Awaitable[None]]

# Tables holding rows of a tenant, deleted with it (children before parents).
_TENANT_TABLES = (
    schema.audit_log,
    schema.relation,
    schema.asset,
    schema.asset_profile,
    schema.device,
    schema.device_profile,
    schema.user,
    schema.customer,
)


class TenantService:
    """Creates, updates and deletes tenants and their profiles (sysadmin work)."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        device_profiles: DeviceProfileService,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self._repos = repos
        self._device_profiles = device_profiles
        self._created_hooks: list[TenantHook] = []
        self._deleted_hooks: list[TenantHook] = []

    def on_tenant_created(self, hook: TenantHook) -> None:
        """Run ``hook`` for every new tenant (per-tenant defaults of other subsystems)."""
        self._created_hooks.append(hook)

    def on_tenant_deleted(self, hook: TenantHook) -> None:
        """Run ``hook`` before a tenant's rows are deleted."""
        self._deleted_hooks.append(hook)

    async def default_profile(self) -> TenantProfile:
        """The system's default tenant profile (created on first need)."""
        profiles = self._repos.tenant_profiles
        async with self._db.transaction() as conn:
            profile = await profiles.find_one(conn, schema.tenant_profile.c.is_default.is_(True))
            if profile is None:
                profile = await profiles.insert(
                    conn,
                    TenantProfile(
                        name="Default", description="Default tenant profile", is_default=True
                    ),
                )
        return profile

    async def get(self, caller: Caller, tenant_id: uuid.UUID) -> Tenant:
        """A tenant: sysadmins see all, tenant users only their own."""
        async with self._db.read() as conn:
            tenant = await self._repos.tenants.get(conn, tenant_id)
        if tenant is None:
            raise NotFound()
        if not caller.is_sys_admin:
            caller.check_tenant(tenant.id)
        return tenant

    async def save(self, caller: Caller, tenant: Tenant) -> Tenant:
        """Create (with default profiles and hooks) or update a tenant."""
        caller.require(Authority.SYS_ADMIN)
        if tenant.tenant_profile_id is None:
            tenant = tenant.model_copy(
                update={"tenant_profile_id": (await self.default_profile()).id}
            )
        async with self._db.transaction() as conn:
            profile = await self._repos.tenant_profiles.get(conn, tenant.tenant_profile_id)  # type: ignore[arg-type]
            if profile is None:
                raise InvalidArgument("Tenant is referencing non-existing tenant profile!")
            if tenant.id is not None:
                if await self._repos.tenants.get(conn, tenant.id) is None:
                    raise NotFound()
                updated = await self._repos.tenants.update(conn, tenant)
            else:
                updated = None
                saved = await self._create(conn, tenant)
        if updated is not None:
            assert updated.id is not None
            self._limits.forget_tenant(updated.id)  # its profile may have changed
            return updated
        for hook in self._created_hooks:
            await hook(saved)
        return saved

    async def _create(self, conn: AsyncConnection, tenant: Tenant) -> Tenant:
        saved = await self._repos.tenants.insert(conn, tenant)
        assert saved.id is not None
        await self._device_profiles.default(conn, saved.id)
        await self._repos.asset_profiles.insert(
            conn,
            AssetProfile(
                tenant_id=saved.id,
                name="default",
                is_default=True,
                description="Default asset profile",
            ),
        )
        return saved

    async def delete(self, caller: Caller, tenant_id: uuid.UUID) -> None:
        """Delete a tenant and everything it owns."""
        caller.require(Authority.SYS_ADMIN)
        tenant = await self.get(caller, tenant_id)
        for hook in self._deleted_hooks:
            await hook(tenant)
        async with self._db.transaction() as conn:
            device_ids = sa.select(schema.device.c.id).where(schema.device.c.tenant_id == tenant_id)
            await conn.execute(
                sa.delete(schema.device_credentials).where(
                    schema.device_credentials.c.device_id.in_(device_ids)
                )
            )
            user_ids = sa.select(schema.user.c.id).where(schema.user.c.tenant_id == tenant_id)
            await conn.execute(
                sa.delete(schema.user_credentials).where(
                    schema.user_credentials.c.user_id.in_(user_ids)
                )
            )
            for table in _TENANT_TABLES:
                await conn.execute(sa.delete(table).where(table.c.tenant_id == tenant_id))
            await self._repos.tenants.delete(conn, tenant_id)
        self._limits.forget_tenant(tenant_id)

    async def page(self, caller: Caller, link: PageLink) -> PageData[Tenant]:
        """All tenants (sysadmin)."""
        caller.require(Authority.SYS_ADMIN)
        async with self._db.read() as conn:
            return await self._repos.tenants.page(conn, link)

    async def profile_name(self, tenant: Tenant) -> str | None:
        """Name of the tenant's profile."""
        if tenant.tenant_profile_id is None:
            return None
        async with self._db.read() as conn:
            profile = await self._repos.tenant_profiles.get(conn, tenant.tenant_profile_id)
        return None if profile is None else profile.name

    async def storage_ttl_days(self) -> dict[uuid.UUID, int]:
        """Tenants whose profile sets ``defaultStorageTtlDays`` (time-series retention)."""
        query = sa.select(schema.tenant.c.id, schema.tenant_profile.c.profile_data).join(
            schema.tenant_profile,
            schema.tenant_profile.c.id == schema.tenant.c.tenant_profile_id,
        )
        ttls: dict[uuid.UUID, int] = {}
        async with self._db.read() as conn:
            for tenant_id, profile_data in await conn.execute(query):
                configuration = (profile_data or {}).get("configuration") or {}
                days = configuration.get("defaultStorageTtlDays")
                if isinstance(days, int) and not isinstance(days, bool) and days >= 0:
                    ttls[tenant_id] = days
        return ttls
