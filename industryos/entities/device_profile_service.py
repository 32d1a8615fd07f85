"""Device profiles: the tenant's default, find-or-create by name, and the deletion rules."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.models import Authority, DeviceProfile
from industryos.entities.paging import PageData, PageLink
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

DEFAULT_PROFILE_NAME = "default"


class DeviceProfileService:
    """Reads and writes device profiles inside one tenant."""

    def __init__(self, db: Database, repos: Repositories) -> None:
        self._db = db
        self._profiles = repos.device_profiles
        self._devices = repos.devices

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
        """Create or update a profile of the caller's tenant."""
        caller.require(Authority.TENANT_ADMIN)
        table = schema.device_profile
        async with self._db.transaction() as conn:
            clash = await self._profiles.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.name == profile.name
            )
            if clash is not None and clash.id != profile.id:
                raise InvalidArgument("Device profile with such name already exists!")
            renamed = False
            if profile.id is None:
                saved = await self._profiles.insert(
                    conn,
                    profile.model_copy(update={"tenant_id": caller.tenant_id, "is_default": False}),
                )
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
            if renamed:
                await conn.execute(
                    sa.update(schema.device)
                    .where(schema.device.c.device_profile_id == saved.id)
                    .values(type=saved.name)
                )
        return saved

    async def set_default(self, caller: Caller, profile_id: uuid.UUID) -> DeviceProfile:
        """Make a profile the tenant's default (the previous one loses the flag)."""
        profile = await self.get(caller, profile_id)
        caller.require(Authority.TENANT_ADMIN)
        table = schema.device_profile
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(table)
                .where(table.c.tenant_id == caller.tenant_id)
                .values(is_default=False)
            )
            await conn.execute(
                sa.update(table).where(table.c.id == profile_id).values(is_default=True)
            )
        return profile.model_copy(update={"is_default": True})

    async def delete(self, caller: Caller, profile_id: uuid.UUID) -> None:
        """Delete a profile that is neither the default nor used by a device."""
        profile = await self.get(caller, profile_id)
        caller.require(Authority.TENANT_ADMIN)
        if profile.is_default:
            raise InvalidArgument("Deletion of Default Device Profile is prohibited!")
        async with self._db.transaction() as conn:
            if await self._devices.count(conn, schema.device.c.device_profile_id == profile_id):
                raise InvalidArgument(
                    "The device profile referenced by the devices cannot be deleted!"
                )
            await self._profiles.delete(conn, profile_id)

    async def page(self, caller: Caller, link: PageLink) -> PageData[DeviceProfile]:
        """Profiles of the caller's tenant."""
        if caller.is_sys_admin:
            caller.check_tenant(None)
        async with self._db.read() as conn:
            return await self._profiles.page(
                conn, link, schema.device_profile.c.tenant_id == caller.tenant_id
            )
