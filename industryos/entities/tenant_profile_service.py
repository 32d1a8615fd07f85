"""Tenant profiles (sysadmin work): one system default, names unique, none deleted in use."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType, Authority, TenantProfile
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.entities.tenant_service import TenantService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories


class TenantProfileService:
    """Reads and writes tenant profiles; only system administrators may."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        tenants: TenantService,
        audit: AuditService,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self._profiles = repos.tenant_profiles
        self._tenants = repos.tenants
        self._tenant_service = tenants
        self._audit = audit

    async def get(self, caller: Caller, profile_id: uuid.UUID) -> TenantProfile:
        """One profile (sysadmin)."""
        caller.require(Authority.SYS_ADMIN)
        async with self._db.read() as conn:
            profile = await self._profiles.get(conn, profile_id)
        if profile is None:
            raise NotFound()
        return profile

    async def default_of(self, caller: Caller) -> TenantProfile:
        """The system's default profile (sysadmin)."""
        caller.require(Authority.SYS_ADMIN)
        return await self._tenant_service.default_profile()

    async def save(self, caller: Caller, profile: TenantProfile) -> TenantProfile:
        """Create or update a profile; the default flag only moves through ``set_default``."""
        caller.require(Authority.SYS_ADMIN)
        await self._tenant_service.default_profile()
        table = schema.tenant_profile
        async with self._db.transaction() as conn:
            clash = await self._profiles.find_one(conn, table.c.name == profile.name)
            if clash is not None and clash.id != profile.id:
                raise InvalidArgument("Tenant profile with such name already exists!")
            if profile.id is None:
                saved = await self._profiles.insert(
                    conn, profile.model_copy(update={"is_default": False})
                )
                action = ActionType.ADDED
            else:
                stored = await self._profiles.get(conn, profile.id)
                if stored is None:
                    raise NotFound()
                saved = await self._profiles.update(
                    conn, profile.model_copy(update={"is_default": stored.is_default})
                )
                action = ActionType.UPDATED
        if saved.id is not None:
            self._limits.forget_profile(saved.id)  # its tenants read the new limits
        await self._record(caller, saved, action)
        return saved

    async def set_default(self, caller: Caller, profile_id: uuid.UUID) -> TenantProfile:
        """Make a profile the system default (the previous one loses the flag)."""
        await self.get(caller, profile_id)
        table = schema.tenant_profile
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(table)
                .where(table.c.is_default.is_(True))
                .values(is_default=False, version=table.c.version + 1)
            )
            await conn.execute(
                sa.update(table)
                .where(table.c.id == profile_id)
                .values(is_default=True, version=table.c.version + 1)
            )
            saved = await self._profiles.get(conn, profile_id)
        assert saved is not None
        await self._record(caller, saved, ActionType.UPDATED)
        return saved

    async def delete(self, caller: Caller, profile_id: uuid.UUID) -> None:
        """Delete a profile that is neither the default nor used by a tenant."""
        profile = await self.get(caller, profile_id)
        if profile.is_default:
            raise InvalidArgument("Deletion of Default Tenant Profile is prohibited!")
        async with self._db.transaction() as conn:
            if await self._tenants.count(conn, schema.tenant.c.tenant_profile_id == profile_id):
                raise InvalidArgument(
                    "The tenant profile referenced by the tenants cannot be deleted!"
                )
            await self._profiles.delete(conn, profile_id)
        await self._record(caller, profile, ActionType.DELETED)

    async def page(self, caller: Caller, link: PageLink) -> PageData[TenantProfile]:
        """Every tenant profile (sysadmin)."""
        caller.require(Authority.SYS_ADMIN)
        async with self._db.read() as conn:
            return await self._profiles.page(conn, link)

    async def _record(self, caller: Caller, profile: TenantProfile, action: ActionType) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.TENANT_PROFILE,
            entity_id=profile.id,
            entity_name=profile.name,
        )
