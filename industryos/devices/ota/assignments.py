"""Keeps a device's ``fw_*`` / ``sw_*`` shared attributes in step with its effective package.

When a device's or its profile's firmware/software id changes, or an assigned package
gets its content, the device's effective package is read again and its shared
attributes are written **in one save** (title, version, tag, size, checksum algorithm,
checksum; a URL package gets ``*_url`` instead of size and checksum), so the update push
the SDK acts on carries them all (spec device-api §2.13: ``fw_size`` must come with
``fw_title``). Keys the new package does not have are deleted first, so their delete
push never follows the update. No package: the keys are deleted. The server also
records telemetry ``target_*_title``/``version``/``ts`` and ``*_state`` QUEUED, then
INITIATED, as ThingsBoard does.

Changes are applied one at a time in arrival order, each reading the current state from
the database, so a burst of changes ends with the last one's attributes. Listeners are
called synchronously by the entity services; the work runs as tasks
(:meth:`OtaAssignments.wait_idle` waits for them, :meth:`OtaAssignments.close` cancels
them). A device created under a profile that already has a package gets its attributes
the same way, from the device service's creation announcement (bulk import's too).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Iterable
from typing import Any

import sqlalchemy as sa

from industryos.devices.ota.model import OtaPackageInfo
from industryos.devices.ota.resolve import PackageResolver
from industryos.devices.ota.wire import OtaPackageType, OtaUpdateState, keys_of
from industryos.entities.ids import now_ms
from industryos.entities.models import Device, DeviceProfile
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.telemetry.kv import AttributeScope, KvEntry, TsKvEntry, kv_entry
from industryos.telemetry.service import TelemetryService

__all__ = ["OtaAssignments", "shared_attributes"]

log = logging.getLogger(__name__)

_COLUMNS = {OtaPackageType.FIRMWARE: "firmware_id", OtaPackageType.SOFTWARE: "software_id"}
_PAGE = 500


def shared_attributes(kind: OtaPackageType, package: OtaPackageInfo) -> dict[str, Any]:
    """The shared attributes a device with ``package`` sees (spec §2.13)."""
    keys = keys_of(kind)
    values: dict[str, Any] = {keys.title: package.title, keys.version: package.version}
    if package.tag:
        values[keys.tag] = package.tag
    if package.url:
        values[keys.url] = package.url
    else:
        values[keys.size] = package.data_size or 0
        values[keys.checksum_algorithm] = (
            package.checksum_algorithm.value if package.checksum_algorithm else None
        )
        values[keys.checksum] = package.checksum
    return {key: value for key, value in values.items() if value is not None}


class OtaAssignments:
    """Listens to device, profile and package changes and rewrites the attributes."""

    def __init__(self, db: Database, telemetry: TelemetryService, resolver: PackageResolver):
        self._db = db
        self._telemetry = telemetry
        self._resolver = resolver
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # --- listeners (synchronous, called after commit) ------------------------------------

    def device_changed(self, before: Device, after: Device | None) -> None:
        """A device was updated or deleted."""
        self._resolver.invalidate()
        if after is None or after.id is None or after.tenant_id is None:
            return
        kinds = [
            kind
            for kind, column in _COLUMNS.items()
            if getattr(before, column) != getattr(after, column)
            or before.device_profile_id != after.device_profile_id
        ]
        if kinds:
            self._spawn(self._refresh_devices([(after.tenant_id, after.id)], kinds))

    def profile_changed(self, before: DeviceProfile | None, after: DeviceProfile) -> None:
        """A device profile was created or updated."""
        self._resolver.invalidate()
        if before is None or after.id is None:
            return
        kinds = [k for k, c in _COLUMNS.items() if getattr(before, c) != getattr(after, c)]
        if kinds:
            self._spawn(self._refresh_profile(after.id, kinds))

    def package_changed(self, package: OtaPackageInfo) -> None:
        """A package got its content (or was deleted, which only ever affects nobody)."""
        self._resolver.invalidate()
        if package.id is not None:
            self._spawn(self._refresh_users_of(package.id, package.type))

    def device_created(self, device: Device) -> None:
        """One new device (REST, provisioning, gateway): its own or its profile's packages."""
        if device.id is not None and device.tenant_id is not None:
            self.devices_created([(device.tenant_id, device.id)])

    def devices_created(self, devices: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
        """New devices (tenant id, device id): give them their profile's packages."""
        created = [device_id for _, device_id in devices]
        if created:
            self._spawn(self._refresh_created(created))

    async def wait_idle(self) -> None:
        """Return once every change heard so far has been applied."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop pending work (node shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- work ----------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("OTA attribute update failed", exc_info=task.exception())

    async def _refresh_profile(self, profile_id: uuid.UUID, kinds: list[OtaPackageType]) -> None:
        device = schema.device
        for kind in kinds:
            query = sa.select(device.c.tenant_id, device.c.id).where(
                device.c.device_profile_id == profile_id, device.c[_COLUMNS[kind]].is_(None)
            )
            await self._refresh_query(query, [kind])

    async def _refresh_created(self, device_ids: list[uuid.UUID]) -> None:
        """Only devices with a package of their own or their profile's need attributes."""
        device, profile = schema.device, schema.device_profile
        for start in range(0, len(device_ids), _PAGE):
            query = (
                sa.select(device.c.tenant_id, device.c.id)
                .join(profile, profile.c.id == device.c.device_profile_id)
                .where(
                    device.c.id.in_(device_ids[start : start + _PAGE]),
                    sa.or_(
                        profile.c.firmware_id.is_not(None),
                        profile.c.software_id.is_not(None),
                        device.c.firmware_id.is_not(None),
                        device.c.software_id.is_not(None),
                    ),
                )
            )
            async with self._db.read() as conn:
                rows = [(row[0], row[1]) for row in await conn.execute(query)]
            await self._refresh_devices(rows, list(OtaPackageType))

    async def _refresh_users_of(self, package_id: uuid.UUID, kind: OtaPackageType) -> None:
        device, profile = schema.device, schema.device_profile
        column = _COLUMNS[kind]
        inherited = sa.select(profile.c.id).where(profile.c[column] == package_id)
        query = sa.select(device.c.tenant_id, device.c.id).where(
            sa.or_(
                device.c[column] == package_id,
                sa.and_(device.c[column].is_(None), device.c.device_profile_id.in_(inherited)),
            )
        )
        await self._refresh_query(query, [kind])

    async def _refresh_query(self, query: sa.Select[Any], kinds: list[OtaPackageType]) -> None:
        offset = 0
        while True:
            page = query.order_by(schema.device.c.id).limit(_PAGE).offset(offset)
            async with self._db.read() as conn:
                rows = [(row[0], row[1]) for row in await conn.execute(page)]
            await self._refresh_devices(rows, kinds)
            if len(rows) < _PAGE:
                return
            offset += _PAGE

    async def _refresh_devices(
        self, devices: list[tuple[uuid.UUID, uuid.UUID]], kinds: list[OtaPackageType]
    ) -> None:
        async with self._lock:
            for tenant_id, device_id in devices:
                for kind in kinds:
                    package = await self._resolver.effective(device_id, kind)
                    await self._apply(tenant_id, device_id, kind, package)

    async def _apply(
        self,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        kind: OtaPackageType,
        package: OtaPackageInfo | None,
    ) -> None:
        keys = keys_of(kind)
        shared = AttributeScope.SHARED_SCOPE
        if package is None or not (package.has_data or package.url):
            await self._telemetry.delete_attributes(tenant_id, device_id, shared, keys.shared)
            log.debug("device %s: no %s assigned", device_id, kind.value)
            return
        values = shared_attributes(kind, package)
        stale = [key for key in keys.shared if key not in values]
        await self._telemetry.delete_attributes(tenant_id, device_id, shared, stale)
        entries: list[KvEntry] = [kv_entry(key, value) for key, value in values.items()]
        ts = now_ms()
        await self._telemetry.save_attributes(tenant_id, device_id, shared, entries, ts)
        target = {
            keys.target_title: package.title,
            keys.target_version: package.version,
            keys.target_ts: ts,
        }
        for state in (OtaUpdateState.QUEUED, OtaUpdateState.INITIATED):
            points = (
                {**target, keys.state: state.value}
                if state is OtaUpdateState.QUEUED
                else {keys.state: state.value}
            )
            await self._telemetry.save_timeseries(
                tenant_id, device_id, [_point(ts, key, value) for key, value in points.items()]
            )
            ts += 1
        log.debug("device %s: %s %s %s", device_id, kind.value, package.title, package.version)


def _point(ts: int, key: str, value: Any) -> TsKvEntry:
    entry = kv_entry(key, value)
    return TsKvEntry(ts, entry.key, entry.value, entry.data_type)
