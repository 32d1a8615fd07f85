"""Device profiles: the tenant's default, find-or-create by name, and the deletion rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType, Authority, DeviceProfile
from industryos.entities.paging import PageData, PageLink
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

DEFAULT_PROFILE_NAME = "default"

ProfileListener = Callable[[DeviceProfile | None, DeviceProfile], None]


class DeviceProfileService:
    """Reads and writes device profiles inside one tenant."""

    def __init__(self, db: Database, repos: Repositories, audit: AuditService) -> None:
        self._db = db
        self._profiles = repos.device_profiles
        self._devices = repos.devices
        self._audit = audit
        self._listeners: list[ProfileListener] = []

    def on_profile_changed(self, listener: ProfileListener) -> None:
        """Call ``listener(before, after)`` after a save (``before`` None on create; OTA)."""
        self._listeners.append(listener)

    async def get(self, caller: Caller, profile_id: uuid.UUID) -> DeviceProfile:
        """A profile of the caller's tenant."""
        async with self._db.read() as conn:
            profile = await self._profiles.get(conn, profile_id)
        if profile is None:
            raise NotFound()
        caller.check_tenant(profile.tenant_id)
        return profile

    async def default(self, conn: AsyncConnection, tenant_id: uuid.UUID) -> DeviceProfile:
        """The tenant's default profile (created on first need)."""
        table = schema.device_profile
        profile = await self._profiles.find_one(
            conn, table.c.tenant_id == tenant_id, table.c.is_default.is_(True)
        )
        if profile is None:
            profile = await self._profiles.insert(
                conn,
                DeviceProfile(
                    tenant_id=tenant_id,
                    name=DEFAULT_PROFILE_NAME,
                    is_default=True,
                    description="Default device profile",
                ),
            )
        return profile

    async def find_or_create(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, name: str
    ) -> DeviceProfile:
        """The tenant's profile called ``name``, created with defaults when absent."""
        table = schema.device_profile
        profile = await self._profiles.find_one(
            conn, table.c.tenant_id == tenant_id, table.c.name == name
        )
        if profile is None:
            profile = await self._profiles.insert(
                conn, DeviceProfile(tenant_id=tenant_id, name=name)
            )
        return profile

    async def save(self, caller: Caller, profile: DeviceProfile) -> DeviceProfile:
        """Create or update a profile of the caller's tenant; a rename retypes its devices."""
        caller.require(Authority.TENANT_ADMIN)
        table = schema.device_profile
        async with self._db.transaction() as conn:
            clash = await self._profiles.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.name == profile.name
            )
            if clash is not None and clash.id != profile.id:
                raise InvalidArgument("Device profile with such name already exists!")
            renamed = False
            stored: DeviceProfile | None = None
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
                renamed = stored.name != profile.name
                saved = await self._profiles.update(
                    conn,
                    profile.model_copy(
                        update={"tenant_id": stored.tenant_id, "is_default": stored.is_default}
                    ),
                )
                action = ActionType.UPDATED
            if renamed:
                await conn.execute(
                    sa.update(schema.device)
                    .where(schema.device.c.device_profile_id == saved.id)
                    .values(type=saved.name)
                )
        await self._record(caller, saved, action)
        for listener in self._listeners:
            listener(stored, saved)
        return saved

    async def set_default(self, caller: Caller, profile_id: uuid.UUID) -> DeviceProfile:
        """Make a profile the tenant's default (the previous one loses the flag)."""
        caller.require(Authority.TENANT_ADMIN)
        await self.get(caller, profile_id)
        table = schema.device_profile
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
        """Delete a profile that is neither the default nor used by a device."""
        caller.require(Authority.TENANT_ADMIN)
        profile = await self.get(caller, profile_id)
        if profile.is_default:
            raise InvalidArgument("Deletion of Default Device Profile is prohibited!")
        async with self._db.transaction() as conn:
            if await self._devices.count(conn, schema.device.c.device_profile_id == profile_id):
                raise InvalidArgument(
                    "The device profile referenced by the devices cannot be deleted!"
                )
            await self._profiles.delete(conn, profile_id)
        await self._record(caller, profile, ActionType.DELETED)

    async def default_of(self, caller: Caller) -> DeviceProfile:
        """The default profile of the caller's tenant."""
        caller.check_tenant(caller.tenant_id)
        async with self._db.transaction() as conn:
            return await self.default(conn, caller.tenant_id)

    async def page(
        self, caller: Caller, link: PageLink, *, transport_type: str | None = None
    ) -> PageData[DeviceProfile]:
        """Profiles of the caller's tenant, optionally of one transport type."""
        caller.check_tenant(caller.tenant_id)
        table = schema.device_profile
        where = [table.c.tenant_id == caller.tenant_id]
        if transport_type:
            where.append(table.c.transport_type == transport_type)
        async with self._db.read() as conn:
            return await self._profiles.page(conn, link, *where)

    async def names(self, caller: Caller, *, active_only: bool) -> list[DeviceProfile]:
        """The tenant's profiles by name; ``active_only`` keeps those some device uses."""
        caller.check_tenant(caller.tenant_id)
        table = schema.device_profile
        query = sa.select(table).where(table.c.tenant_id == caller.tenant_id)
        if active_only:
            used = sa.select(schema.device.c.device_profile_id).where(
                schema.device.c.tenant_id == caller.tenant_id
            )
            query = query.where(table.c.id.in_(used))
        async with self._db.read() as conn:
            rows = (await conn.execute(query.order_by(table.c.name))).mappings().all()
        return [self._profiles.from_row(row) for row in rows]

    async def _record(self, caller: Caller, profile: DeviceProfile, action: ActionType) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.DEVICE_PROFILE,
            entity_id=profile.id,
            entity_name=profile.name,
        )
