"""Loads and caches what the device profile node evaluates: profiles' rules, devices' state.

First use of a device reads its row, its profile's alarm rules (cached per profile), the
latest values of the rule keys, its active alarms and, for rules that may read attributes,
its attributes and its owners' SERVER_SCOPE attributes; many devices are read together
(:meth:`AlarmRuleServices.load_many`). Afterwards messages update the state in memory,
with no storage round trip. Device updates (ENTITY_UPDATED/ASSIGNED…) drop the cached
entries; a saved profile reaches every device profile node through
:meth:`AlarmRuleServices.profile_changed` (the node wires the profile service, and in a
cluster the change relay, to it).
Design limit: customer and tenant attributes used as dynamic thresholds are read when a
device's state is loaded; a change of them applies after the device's next reload.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from industryos.alarms.rules.definition import AlarmDefinition, parse_alarms
from industryos.alarms.rules.evaluator import DeviceRules
from industryos.alarms.rules.snapshot import Snapshot
from industryos.alarms.rules.state_store import AlarmRuleStateStore
from industryos.alarms.service import AlarmService
from industryos.entities.ids import NULL_UUID
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.in_lists import in_lists
from industryos.telemetry.kv import AttributeScope

if TYPE_CHECKING:
    from industryos.telemetry.service import TelemetryService

__all__ = ["AlarmRuleServices", "AlarmRuleWatcher"]


class AlarmRuleWatcher(Protocol):
    """What holds devices' alarm-rule state (each device profile node)."""

    def forget_profile(self, profile_id: uuid.UUID) -> None:
        """The profile's rules may have changed: drop the devices of it."""

    def forget_device(self, device_id: uuid.UUID) -> None:
        """The device may have another profile or be gone: drop it."""

    def forget_partition(self, partition: int, partitions: int) -> None:
        """The queue partition moved to or from this node: drop its devices."""


_UNREAD = Snapshot()
"""The snapshot of every device whose profile has no alarm rules: nothing reads or updates
it (the node skips such devices), so they share this one instead of ~1 KB of dicts each."""


class AlarmRuleServices:
    """What the device profile node needs: alarms, telemetry reads and entity rows."""

    def __init__(self, db: Database, alarms: AlarmService, telemetry: TelemetryService) -> None:
        self._db = db
        self.alarms = alarms
        self._telemetry = telemetry
        self.states = AlarmRuleStateStore(db)
        self._profiles: dict[uuid.UUID, list[AlarmDefinition]] = {}
        self._changes = 0
        """Profile and device changes so far: a read that overlapped one is not kept."""
        self._watchers: set[AlarmRuleWatcher] = set()

    def watch(self, watcher: AlarmRuleWatcher) -> Callable[[], None]:
        """Tell ``watcher`` of every profile and device change; returns the unwatch."""
        self._watchers.add(watcher)
        return lambda: self._watchers.discard(watcher)

    def profile_changed(self, profile_id: uuid.UUID) -> None:
        """A profile was saved (or announced as updated): its rules are parsed again on
        next use, and every device profile node drops the devices it holds of it."""
        self._changes += 1
        self._profiles.pop(profile_id, None)
        for watcher in list(self._watchers):
            watcher.forget_profile(profile_id)

    def device_changed(self, device_id: uuid.UUID) -> None:
        """A device was changed or deleted on another cluster node (this node's own changes
        reach its device profile nodes as ENTITY_UPDATED/DELETED messages): every device
        profile node drops it."""
        self._changes += 1
        for watcher in list(self._watchers):
            watcher.forget_device(device_id)

    def partition_moved(self, partition: int, partitions: int) -> None:
        """A queue partition (of ``partitions``) moved to or from this node (the JetStream
        queue shares them out between a cluster's nodes): every device profile node drops
        the devices of it. A node that gave it up must not evaluate their DURATION timers
        beside the new owner, and one that gains it back must not go on from the state it
        had before the other node processed their messages."""
        self._changes += 1
        for watcher in list(self._watchers):
            watcher.forget_partition(partition, partitions)

    @property
    def changes(self) -> int:
        """How many changes were seen: a load that spans one may be stale."""
        return self._changes

    async def _definitions(self, profile_id: uuid.UUID) -> list[AlarmDefinition]:
        cached = self._profiles.get(profile_id)
        if cached is None:
            changes = self._changes
            table = schema.device_profile
            async with self._db.read() as conn:
                data = (
                    await conn.execute(
                        sa.select(table.c.profile_data).where(table.c.id == profile_id)
                    )
                ).scalar_one_or_none()
            cached = parse_alarms(data)
            if changes == self._changes:
                self._profiles[profile_id] = cached
        return cached

    async def load(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> DeviceRules | None:
        """The rule state of a device of ``tenant_id`` (None if it is not one)."""
        return (await self.load_many(tenant_id, [device_id])).get(device_id)

    async def load_many(
        self, tenant_id: uuid.UUID, device_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, DeviceRules]:
        """The rule states of many devices of ``tenant_id``, by device id (ids that are not
        devices of the tenant, or have no profile, are left out).

        A few reads for the lot, not a few per device: a fleet's first messages after a
        restart all miss the node's cache at once.
        """
        ids = sorted(set(device_ids))
        d = schema.device
        rows: list[sa.RowMapping] = []
        async with self._db.read() as conn:
            for chunk in in_lists(ids):
                query = sa.select(
                    d.c.id,
                    d.c.name,
                    d.c.type,
                    d.c.label,
                    d.c.created_time,
                    d.c.customer_id,
                    d.c.device_profile_id,
                ).where(d.c.id.in_(chunk), d.c.tenant_id == tenant_id)
                rows += (await conn.execute(query)).mappings().all()
        devices = [
            (row, await self._definitions(row["device_profile_id"]))
            for row in rows
            if row["device_profile_id"] is not None
        ]
        ruled = [(row["id"], definitions) for row, definitions in devices if definitions]
        latest = await self._telemetry.get_latest_many(
            tenant_id,
            [device_id for device_id, _ in ruled],
            {key for _, definitions in ruled for d in definitions for key in d.keys},
        )
        active = await self.alarms.find_active_many(
            tenant_id,
            [device_id for device_id, _ in ruled],
            {d.alarm_type for _, definitions in ruled for d in definitions},
        )
        owners = _OwnerAttributes(self._telemetry, tenant_id)
        found: dict[uuid.UUID, DeviceRules] = {}
        for row, definitions in devices:
            device_id = row["id"]
            customer_id = row["customer_id"] or NULL_UUID
            if not definitions:  # nothing will read it: share one (a fleet of such devices)
                found[device_id] = DeviceRules.create(
                    tenant_id, device_id, customer_id, row["device_profile_id"], _UNREAD, [], {}
                )
                continue
            snapshot = Snapshot(
                fields={
                    "name": row["name"],
                    "type": row["type"],
                    "label": row["label"],
                    "createdTime": row["created_time"],
                }
            )
            keys = {key for d in definitions for key in d.keys}
            for entry in latest.get(device_id, []):
                if entry.key in keys:
                    snapshot.timeseries[entry.key] = entry.native_value()
            if any(d.reads_attributes for d in definitions):
                await self._fill_attributes(snapshot, owners, tenant_id, device_id, customer_id)
            found[device_id] = DeviceRules.create(
                tenant_id,
                device_id,
                customer_id,
                row["device_profile_id"],
                snapshot,
                definitions,
                {
                    d.alarm_type: active[(device_id, d.alarm_type)]
                    for d in definitions
                    if (device_id, d.alarm_type) in active
                },
            )
        return found

    async def _fill_attributes(
        self,
        snapshot: Snapshot,
        owners: _OwnerAttributes,
        tenant_id: uuid.UUID,
        device_id: uuid.UUID,
        customer_id: uuid.UUID,
    ) -> None:
        """The device's attributes and its owners' SERVER_SCOPE ones (dynamic thresholds);
        only rules that may read attributes need them, later attribute messages update them."""
        for scope, entries in (await self._telemetry.get_attributes(tenant_id, device_id)).items():
            snapshot.attributes[scope.value] = {e.key: e.native_value() for e in entries}
        if customer_id != NULL_UUID:
            snapshot.customer_attributes = await owners.server_attributes(customer_id)
        snapshot.tenant_attributes = await owners.server_attributes(tenant_id)


class _OwnerAttributes:
    """SERVER_SCOPE attributes of customers and the tenant, read once per :meth:`load_many`."""

    def __init__(self, telemetry: TelemetryService, tenant_id: uuid.UUID) -> None:
        self._telemetry = telemetry
        self._tenant_id = tenant_id
        self._read: dict[uuid.UUID, dict[str, Any]] = {}

    async def server_attributes(self, owner_id: uuid.UUID) -> dict[str, Any]:
        found = self._read.get(owner_id)
        if found is None:
            server = AttributeScope.SERVER_SCOPE
            entries = await self._telemetry.get_attributes(self._tenant_id, owner_id, server)
            found = self._read[owner_id] = {
                e.key: e.native_value() for e in entries.get(server, [])
            }
        return dict(found)
