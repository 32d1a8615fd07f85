"""Asset profiles: the tenant's default, find-or-create by name, and the deletion rules.

They follow the device-profile rules (spec platform-api §3.3): one default per tenant, names
unique per tenant, a rename retypes the assets using the profile, and neither the default nor
a profile in use may be deleted.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType, AssetProfile, Authority
from industryos.entities.paging import PageData, PageLink
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

DEFAULT_PROFILE_NAME = "default"


class AssetProfileService:
    """Reads and writes asset profiles inside one tenant."""

    def __init__(self, db: Database, repos: Repositories, audit: AuditService) -> None:
        self._db = db
        self._profiles = repos.asset_profiles
        self._assets = repos.assets
        self._audit = audit

    async def get(self, caller: Caller, profile_id: uuid.UUID) -> AssetProfile:
        """A profile of the caller's tenant."""
        async with self._db.read() as conn:
            profile = await self._profiles.get(conn, profile_id)
        if profile is None:
            raise NotFound()
        caller.check_tenant(profile.tenant_id)
        return profile

    async def default(self, conn: AsyncConnection, tenant_id: uuid.UUID) -> AssetProfile:
        """The tenant's default profile (created on first need)."""
        table = schema.asset_profile
        profile = await self._profiles.find_one(
            conn, table.c.tenant_id == tenant_id, table.c.is_default.is_(True)
        )
        if profile is None:
            profile = await self._profiles.insert(
                conn,
                AssetProfile(
                    tenant_id=tenant_id,
                    name=DEFAULT_PROFILE_NAME,
                    is_default=True,
                    description="Default asset profile",
                ),
            )
        return profile

    async def default_of(self, caller: Caller) -> AssetProfile:
        """The default profile of the caller's tenant."""
        caller.check_tenant(caller.tenant_id)
        async with self._db.transaction() as conn:
            return await self.default(conn, caller.tenant_id)

    async def find_or_create(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, name: str
    ) -> AssetProfile:
        """The tenant's profile called ``name``, created with defaults when absent."""
        table = schema.asset_profile
        profile = await self._profiles.find_one(
            conn, table.c.tenant_id == tenant_id, table.c.name == name
        )
        if profile is None:
            profile = await self._profiles.insert(
                conn, AssetProfile(tenant_id=tenant_id, name=name)
            )
        return profile

    async def save(self, caller: Caller, profile: AssetProfile) -> AssetProfile:
        """Create or update a profile of the caller's tenant; a rename retypes its assets."""
        caller.require(Authority.TENANT_ADMIN)
        table = schema.asset_profile
        async with self._db.transaction() as conn:
            clash = await self._profiles.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.name == profile.name
            )
            if clash is not None and clash.id != profile.id:
                raise InvalidArgument("Asset profile with such name already exists!")
            if profile.id is None:
                saved = await self._profiles.insert(
                    conn,
                    profile.model_copy(update={"tenant_id": caller.tenant_id, "is_default": False}),
                )
                action = ActionType.ADDED
            else:
                stored = await self._profiles.get(conn, profile.id)
                if stored is None:
                    raise NotFound()
                caller.check_tenant(stored.tenant_id)
                saved = await self._profiles.update(
                    conn,
                    profile.model_copy(
                        update={"tenant_id": stored.tenant_id, "is_default": stored.is_default}
                    ),
                )
                action = ActionType.UPDATED
                if stored.name != saved.name:
                    await conn.execute(
                        sa.update(schema.asset)
                        .where(schema.asset.c.asset_profile_id == saved.id)
                        .values(type=saved.name)
                    )
        await self._record(caller, saved, action)
        return saved

    async def set_default(self, caller: Caller, profile_id: uuid.UUID) -> AssetProfile:
        """Make a profile the tenant's default (the previous one loses the flag)."""
        caller.require(Authority.TENANT_ADMIN)
        await self.get(caller, profile_id)
        table = schema.asset_profile
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(table)
                .where(table.c.tenant_id == caller.tenant_id, table.c.is_default.is_(True))
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
        """Delete a profile that is neither the default nor used by an asset."""
        caller.require(Authority.TENANT_ADMIN)
        profile = await self.get(caller, profile_id)
        if profile.is_default:
            raise InvalidArgument("Deletion of Default Asset Profile is prohibited!")
        async with self._db.transaction() as conn:
            if await self._assets.count(conn, schema.asset.c.asset_profile_id == profile_id):
                raise InvalidArgument(
                    "The asset profile referenced by the assets cannot be deleted!"
                )
            await self._profiles.delete(conn, profile_id)
        await self._record(caller, profile, ActionType.DELETED)

    async def page(self, caller: Caller, link: PageLink) -> PageData[AssetProfile]:
        """Profiles of the caller's tenant."""
        caller.check_tenant(caller.tenant_id)
        async with self._db.read() as conn:
            return await self._profiles.page(
                conn, link, schema.asset_profile.c.tenant_id == caller.tenant_id
            )

    async def names(self, caller: Caller, *, active_only: bool) -> list[AssetProfile]:
        """The tenant's profiles by name; ``active_only`` keeps those some asset uses."""
        caller.check_tenant(caller.tenant_id)
        table = schema.asset_profile
        query = sa.select(table).where(table.c.tenant_id == caller.tenant_id)
        if active_only:
            used = sa.select(schema.asset.c.asset_profile_id).where(
                schema.asset.c.tenant_id == caller.tenant_id
            )
            query = query.where(table.c.id.in_(used))
        async with self._db.read() as conn:
            rows = (await conn.execute(query.order_by(table.c.name))).mappings().all()
        return [self._profiles.from_row(row) for row in rows]

    async def _record(self, caller: Caller, profile: AssetProfile, action: ActionType) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.ASSET_PROFILE,
            entity_id=profile.id,
            entity_name=profile.name,
        )
