"""Update status per device and per device profile, from the devices' own telemetry.

Devices report ``fw_state`` (DOWNLOADING … UPDATED / FAILED, plus ``fw_error``) and
``current_fw_title`` / ``current_fw_version`` as ordinary telemetry (``sw_*`` likewise);
the server wrote ``target_*`` and QUEUED/INITIATED when it assigned the package. These
views read the latest values: one device's, or one profile's devices counted by state
(one grouped query over the latest table, not a read per device).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from industryos.devices.ota.resolve import PackageResolver
from industryos.devices.ota.wire import OtaPackageType, keys_of
from industryos.entities.access import Caller
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.device_service import DeviceService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.timeseries.schema import ts_kv_latest
from industryos.telemetry.service import TelemetryService

__all__ = ["OtaStatus"]

NO_STATE = "NONE"
"""The state counted for devices that never reported (or were never given) one."""


class OtaStatus:
    """Read-only status views, access-checked through the entity services."""

    def __init__(
        self,
        db: Database,
        telemetry: TelemetryService,
        resolver: PackageResolver,
        devices: DeviceService,
        profiles: DeviceProfileService,
    ) -> None:
        self._db = db
        self._telemetry = telemetry
        self._resolver = resolver
        self._devices = devices
        self._profiles = profiles

    async def device(self, caller: Caller, device_id: uuid.UUID) -> dict[str, Any]:
        """``{"FIRMWARE": {...}, "SOFTWARE": {...}}`` for a device the caller may see."""
        device = await self._devices.get(caller, device_id)
        assert device.tenant_id is not None
        answer: dict[str, Any] = {}
        for kind in OtaPackageType:
            keys = keys_of(kind)
            latest = await self._telemetry.get_latest(device.tenant_id, device_id, keys.status)
            values = {point.key: point.native_value() for point in latest}
            package = await self._resolver.effective(device_id, kind)
            answer[kind.value] = {
                "package": package.to_wire() if package is not None else None,
                "state": values.get(keys.state),
                "error": values.get(keys.error) or None,
                "currentTitle": values.get(keys.current_title),
                "currentVersion": values.get(keys.current_version),
                "targetTitle": values.get(keys.target_title),
                "targetVersion": values.get(keys.target_version),
                "targetTs": values.get(keys.target_ts),
            }
        return answer

    async def profile(
        self, caller: Caller, profile_id: uuid.UUID, kind: OtaPackageType
    ) -> dict[str, Any]:
        """How many of the profile's devices are in each state (``NONE``: no state yet)."""
        await self._profiles.get(caller, profile_id)
        device, keys_table = schema.device, schema.key_dictionary
        state_key = (
            sa.select(keys_table.c.key_id)
            .where(keys_table.c.key == keys_of(kind).state)
            .scalar_subquery()
        )
        latest = (
            sa.select(ts_kv_latest.c.entity_id, ts_kv_latest.c.str_v)
            .where(ts_kv_latest.c.key == state_key)
            .subquery()
        )
        where = [device.c.device_profile_id == profile_id, device.c.tenant_id == caller.tenant_id]
        if caller.is_customer_user:
            where.append(device.c.customer_id == caller.customer_id)
        query = (
            sa.select(latest.c.str_v, sa.func.count())
            .select_from(device.outerjoin(latest, latest.c.entity_id == device.c.id))
            .where(*where)
            .group_by(latest.c.str_v)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        states = {(state or NO_STATE): int(count) for state, count in rows}
        return {
            "deviceProfileId": str(profile_id),
            "type": kind.value,
            "total": sum(states.values()),
            "states": states,
        }
