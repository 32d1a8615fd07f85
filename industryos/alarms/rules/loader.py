"""Loads and caches what the device profile node evaluates: profiles' rules, devices' state.

First use of a device reads its row, its profile's alarm rules (cached per profile), its
attributes, the latest values of the rule keys, its owner's SERVER_SCOPE attributes and its
active alarms; afterwards messages update the state in memory, with no storage round trip.
Device and profile updates (ENTITY_UPDATED/ASSIGNED…) drop the cached entries.
Design limit: customer and tenant attributes used as dynamic thresholds are read when a
device's state is loaded; a change of them applies after the device's next reload.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import sqlalchemy as sa

from industryos.alarms.rules.definition import AlarmDefinition, parse_alarms
from industryos.alarms.rules.evaluator import DeviceRules
from industryos.alarms.rules.snapshot import Snapshot
from industryos.alarms.rules.state_store import AlarmRuleStateStore
from industryos.alarms.service import AlarmService
from industryos.entities.ids import NULL_UUID
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.telemetry.kv import AttributeScope

if TYPE_CHECKING:
    from industryos.telemetry.service import TelemetryService

__all__ = ["AlarmRuleServices"]


class AlarmRuleServices:
    """What the device profile node needs: alarms, telemetry reads and entity rows."""

    def __init__(self, db: Database, alarms: AlarmService, telemetry: TelemetryService) -> None:
        self._db = db
        self.alarms = alarms
        self._telemetry = telemetry
        self.states = AlarmRuleStateStore(db)
        self._profiles: dict[uuid.UUID, list[AlarmDefinition]] = {}

    def forget_profile(self, profile_id: uuid.UUID) -> None:
        """A profile changed: parse its rules again on next use."""
        self._profiles.pop(profile_id, None)

    async def _definitions(self, profile_id: uuid.UUID) -> list[AlarmDefinition]:
        cached = self._profiles.get(profile_id)
        if cached is None:
            table = schema.device_profile
            async with self._db.read() as conn:
                data = (
                    await conn.execute(
                        sa.select(table.c.profile_data).where(table.c.id == profile_id)
                    )
                ).scalar_one_or_none()
            cached = self._profiles[profile_id] = parse_alarms(data)
        return cached

    async def load(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> DeviceRules | None:
        """The rule state of a device of ``tenant_id`` (None if it is not one)."""
        d = schema.device
        async with self._db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(
                            d.c.name,
                            d.c.type,
                            d.c.label,
                            d.c.created_time,
                            d.c.customer_id,
                            d.c.device_profile_id,
                        ).where(d.c.id == device_id, d.c.tenant_id == tenant_id)
                    )
                )
                .mappings()
                .first()
            )
        if row is None or row["device_profile_id"] is None:
            return None
        definitions = await self._definitions(row["device_profile_id"])
        snapshot = Snapshot(
            fields={
                "name": row["name"],
                "type": row["type"],
                "label": row["label"],
                "createdTime": row["created_time"],
            }
        )
        customer_id = row["customer_id"] or NULL_UUID
        active = {}
        if definitions:
            await self._fill(snapshot, tenant_id, device_id, customer_id, definitions)
            for definition in definitions:
                found = await self.alarms.find_active(tenant_id, device_id, definition.alarm_type)
                if found is not None:
                    active[definition.alarm_type] = found
        return DeviceRules.create(
            tenant_id,
            device_id,
            customer_id,
            row["device_profile_id"],
            snapshot,
            definitions,
            active,
        )

    async def _fill(
        self,
        snapshot: Snapshot,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        customer_id: uuid.UUID,
        definitions: list[AlarmDefinition],
    ) -> None:
        keys: set[str] = set()
        for definition in definitions:
            keys |= definition.keys
        if keys:
            for entry in await self._telemetry.get_latest(tenant_id, device_id, sorted(keys)):
                snapshot.timeseries[entry.key] = entry.native_value()
        if not any(definition.reads_attributes for definition in definitions):
            return  # later attribute messages still fill the snapshot
        for scope, entries in (await self._telemetry.get_attributes(tenant_id, device_id)).items():
            snapshot.attributes[scope.value] = {e.key: e.native_value() for e in entries}
        server = AttributeScope.SERVER_SCOPE
        if customer_id != NULL_UUID:
            found = await self._telemetry.get_attributes(tenant_id, customer_id, server)
            snapshot.customer_attributes = {e.key: e.native_value() for e in found.get(server, [])}
        found = await self._telemetry.get_attributes(tenant_id, tenant_id, server)
        snapshot.tenant_attributes = {e.key: e.native_value() for e in found.get(server, [])}
