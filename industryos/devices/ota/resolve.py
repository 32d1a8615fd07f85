"""The effective package of a device: its own assignment, else its profile's.

Shared by the assignments (which shared attributes a device should see) and the
downloads (which content a device may fetch), so both agree. A package only counts when
it belongs to the device's tenant and has the asked type: a device or profile pointing at
another tenant's package id gets nothing (the device service does not check that id when
it is saved; this is where it is enforced).

Answers are cached in memory per device and type, and dropped whenever a device, profile
or package changes (:meth:`PackageResolver.invalidate`), so a download's chunks cost no
database round trip after the first.
"""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa

from industryos.devices.ota.model import OtaPackageInfo
from industryos.devices.ota.packages import OtaPackages
from industryos.devices.ota.wire import OtaPackageType
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = ["PackageResolver"]

log = logging.getLogger(__name__)

_CACHE_LIMIT = 100_000


class PackageResolver:
    """Which package of a type applies to a device (None: none, or not usable)."""

    def __init__(self, db: Database, packages: OtaPackages) -> None:
        self._db = db
        self._packages = packages
        self._cache: dict[tuple[uuid.UUID, OtaPackageType], OtaPackageInfo | None] = {}
        self._generation = 0
        """Bumped by :meth:`invalidate`: a lookup that overlapped a change is not cached."""

    def invalidate(self) -> None:
        """Forget every cached answer (a device, profile or package changed)."""
        self._generation += 1
        self._cache.clear()

    async def effective(self, device_id: uuid.UUID, kind: OtaPackageType) -> OtaPackageInfo | None:
        """The package of ``kind`` that applies to the device now."""
        key = (device_id, kind)
        if key in self._cache:
            return self._cache[key]
        generation = self._generation
        package = await self._lookup(device_id, kind)
        if generation != self._generation:
            return package  # read while something changed: maybe stale, so not kept
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = package
        return package

    async def _lookup(self, device_id: uuid.UUID, kind: OtaPackageType) -> OtaPackageInfo | None:
        device, profile = schema.device, schema.device_profile
        column = "firmware_id" if kind is OtaPackageType.FIRMWARE else "software_id"
        query = (
            sa.select(device.c.tenant_id, device.c[column], profile.c[column])
            .join(profile, profile.c.id == device.c.device_profile_id)
            .where(device.c.id == device_id)
        )
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        tenant_id, own, inherited = row
        package_id = own or inherited
        if package_id is None:
            return None
        package = await self._packages.find(package_id)
        if package is None or package.tenant_id != tenant_id or package.type is not kind:
            log.warning(
                "device %s points at package %s, which is not a %s of its tenant",
                device_id,
                package_id,
                kind.value,
            )
            return None
        return package
