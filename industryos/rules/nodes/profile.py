"""The device profile node (action category): device-profile alarm rules (spec §6.2).

Every input goes on ``Success`` unchanged; alarm changes additionally go out as ``ALARM``
messages on ``Alarm Created``/``Alarm Updated``/``Alarm Severity Updated``/``Alarm
Cleared``. Per-device state (latest values of the rule keys, counters, the active alarm)
lives in memory, loaded on a device's first message (``alarms/rules/loader.py``); a timer
re-checks DURATION rules without new data.

As in ThingsBoard: ``persistAlarmRulesState`` stores a device's counters (REPEATING counts,
DURATION first/last times, the active alarm per definition and severity) in
``alarm_rule_state``, one row per (this rule node, device), after a message or timer tick
that changed them: one upsert per change, none when nothing changed, a timer tick's
devices in one transaction. ``fetchAlarmRulesStateOnStart`` (only with persist) loads every
state this rule node stored (its tenant, devices that still exist) when the node starts, so
DURATION timers run before any new message; without it a device's stored state is read
when its first message arrives (also after a device or profile update drops it).
Latest values are re-read from telemetry, not stored; the metadata of timer-raised alarms
is the device's last message's, which a restart loses. A device's rows go with the device
(foreign key cascade and ``ENTITY_DELETED``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import orjson

from industryos.alarms.enums import AlarmMsgType
from industryos.alarms.model import Alarm, alarm_from_wire
from industryos.alarms.rules.evaluator import AlarmEvent, DeviceRules
from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.alarms.rules.state_store import StoredState
from industryos.alarms.service import alarm_msg
from industryos.batch_loads import BatchLoads
from industryos.entities.errors import EntityError
from industryos.entities.ids import EntityType, now_ms
from industryos.msg import Msg, MsgType
from industryos.queue.interface import partition_for
from industryos.rules.errors import NotAvailable
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)

PREFIX = "org.thingsboard.rule.engine."

ALARM_LABELS = ("Alarm Created", "Alarm Updated", "Alarm Severity Updated", "Alarm Cleared")

TIMER_INTERVAL_S = 60.0
"""How often DURATION rules are re-checked without new data (ThingsBoard: 60 s)."""

log = logging.getLogger(__name__)

Json = dict[str, Any]


def _ts(msg: Msg) -> int:
    try:
        return int(msg.metadata.get("ts") or msg.ts)
    except ValueError:
        return msg.ts


def _telemetry(rules: DeviceRules, msg: Msg, data: Any) -> tuple[set[str], int]:
    ts = _ts(msg)
    items = data if isinstance(data, list) else [data]
    touched: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        nested = item.get("values")
        values: Json = nested if isinstance(nested, dict) else item
        if "values" in item and "ts" in item:
            ts = int(item["ts"])
        for key, value in values.items():
            rules.snapshot.timeseries[key] = value
            touched.add(key)
    return touched, ts


def _timeseries_updated(rules: DeviceRules, msg: Msg, data: Any) -> tuple[set[str], int]:
    points = data.get("timeseries") if isinstance(data, dict) else None
    return _telemetry(rules, msg, points or [])


def _attributes(scope: str) -> Callable[[DeviceRules, Msg, Any], tuple[set[str], int]]:
    def update(rules: DeviceRules, msg: Msg, data: Any) -> tuple[set[str], int]:
        target = rules.snapshot.attributes[msg.metadata.get("scope") or scope]
        if not isinstance(data, dict):
            return set(), _ts(msg)
        target.update(data)
        return set(data), _ts(msg)

    return update


def _attributes_deleted(rules: DeviceRules, msg: Msg, data: Any) -> tuple[set[str], int]:
    keys = data.get("attributes") if isinstance(data, dict) else None
    target = rules.snapshot.attributes[msg.metadata.get("scope") or "SERVER_SCOPE"]
    for key in keys or []:
        target.pop(key, None)
    return set(keys or []), _ts(msg)


def _activity(rules: DeviceRules, msg: Msg, data: Any) -> tuple[set[str], int]:
    if isinstance(data, dict) and "active" in data:
        rules.snapshot.attributes["SERVER_SCOPE"]["active"] = data["active"]
        return {"active"}, _ts(msg)
    return set(), _ts(msg)


UPDATES: dict[str, Callable[[DeviceRules, Msg, Any], tuple[set[str], int]]] = {
    MsgType.POST_TELEMETRY_REQUEST: _telemetry,
    MsgType.TIMESERIES_UPDATED: _timeseries_updated,
    MsgType.POST_ATTRIBUTES_REQUEST: _attributes("CLIENT_SCOPE"),
    MsgType.ATTRIBUTES_UPDATED: _attributes("SERVER_SCOPE"),
    MsgType.ATTRIBUTES_DELETED: _attributes_deleted,
    MsgType.ACTIVITY_EVENT: _activity,
    MsgType.INACTIVITY_EVENT: _activity,
}
"""Inputs that change a device's snapshot, by message type."""

ALARM_INPUTS = {AlarmMsgType.ALARM_ACK, AlarmMsgType.ALARM_CLEAR, AlarmMsgType.ALARM_DELETE}

RELOAD_INPUTS = {
    MsgType.ENTITY_UPDATED,
    MsgType.ENTITY_ASSIGNED,
    MsgType.ENTITY_UNASSIGNED,
    MsgType.ENTITY_DELETED,
}


class DeviceProfileNode(RuleNode):
    """Evaluates the alarm rules of the originator device's profile."""

    clazz = PREFIX + "profile.TbDeviceProfileNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "device profile",
        "Process device messages based on device profile settings",
        relation_types=(*ALARM_LABELS, Label.SUCCESS, Label.FAILURE),
        default_configuration={
            "persistAlarmRulesState": False,
            "fetchAlarmRulesStateOnStart": False,
        },
        configuration_version=1,
    )
    requires = frozenset({Service.ALARMS})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._devices: dict[uuid.UUID, DeviceRules] = {}
        self._timer: asyncio.Task[None] | None = None
        self.timer_interval = TIMER_INTERVAL_S
        self._persist = config.flag("persistAlarmRulesState")
        self._saved: dict[uuid.UUID, str] = {}
        """The state JSON last written per device: equal means nothing to write."""
        self._loads: BatchLoads[uuid.UUID, uuid.UUID, DeviceRules] = BatchLoads(self._load_many)
        """First messages of devices not held yet, loaded together (a fleet after a restart)."""
        self._unwatch: Callable[[], None] | None = None
        with contextlib.suppress(NotAvailable):  # no alarms: messages pass through
            self._unwatch = ctx.alarms().watch(self)
        self._fetched = not (self._persist and config.flag("fetchAlarmRulesStateOnStart"))
        self._fetching: asyncio.Task[None] | None = None
        if not self._fetched:
            with contextlib.suppress(RuntimeError):  # no loop: fetched on first use instead
                self._fetching = asyncio.get_running_loop().create_task(
                    self._fetch_all(), name="device-profile-fetch-states"
                )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Update the originator's state, evaluate the touched rules, pass the message on."""
        try:
            services = self.ctx.alarms()
        except NotAvailable:  # a node without alarms (embedded tools, tests): pass through
            return [Emit(Label.SUCCESS, msg)]
        await self.started()
        emits = await self._process(services, msg)
        emits.append(Emit(Label.SUCCESS, msg))
        return emits

    async def started(self) -> None:
        """Wait for the start-up fetch of stored states (fetchAlarmRulesStateOnStart)."""
        if self._fetched:
            return
        if self._fetching is None:
            self._fetching = asyncio.create_task(self._fetch_all())
        await asyncio.shield(self._fetching)

    async def _fetch_all(self) -> None:
        try:
            services = self.ctx.alarms()
            tenant_id, node_id = self.ctx.tenant_id, self.ctx.node_id
            changes = services.changes
            stored = await services.states.load_all(tenant_id, node_id)
            missing = [device_id for device_id in stored if device_id not in self._devices]
            loaded = await services.load_many(tenant_id, missing)
            if changes != services.changes:
                return  # a profile changed meanwhile: each device loads on its next message
            for device_id, rules in loaded.items():
                if device_id not in self._devices:  # a message may have loaded it meanwhile
                    self._adopt(rules, stored[device_id])
        except NotAvailable:
            pass
        except Exception:
            log.exception("device profile node: fetching alarm rule states failed")
        finally:
            self._fetched = True

    async def _process(self, services: AlarmRuleServices, msg: Msg) -> list[Emit]:
        origin = msg.originator
        if origin.entity_type is EntityType.DEVICE_PROFILE and msg.type in RELOAD_INPUTS:
            services.profile_changed(origin.id)  # this node's devices too, via the watcher
            return []
        if origin.entity_type is not EntityType.DEVICE:
            return []
        if msg.type in RELOAD_INPUTS:
            self._devices.pop(origin.id, None)
            self._saved.pop(origin.id, None)
            if msg.type == MsgType.ENTITY_DELETED and self._persist:
                await services.states.delete_device(msg.tenant_id, origin.id)
            return []
        if msg.type in ALARM_INPUTS:
            rules = self._devices.get(origin.id)
            if rules is not None:
                alarm = _alarm_of(msg)
                if alarm is not None:
                    deleted = msg.type == AlarmMsgType.ALARM_DELETE
                    rules.alarm_changed(alarm.id, None if deleted else alarm)
                    await self._store(services, [rules])
            return []
        update = UPDATES.get(msg.type)
        if update is None:
            return []
        rules = await self._rules(msg)
        if rules is None or not rules.definitions:
            return []
        try:
            data = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            return []
        touched, ts = update(rules, msg, data)
        rules.last_metadata = dict(msg.metadata)
        events = await rules.evaluate(services.alarms, touched, ts)
        await self._store(services, [rules])
        return [self._emit(event, msg.metadata) for event in events]

    async def _rules(self, msg: Msg) -> DeviceRules | None:
        rules = self._devices.get(msg.originator.id)
        if rules is None:
            rules = await self._loads.get(msg.tenant_id, msg.originator.id)
        return rules

    def forget_profile(self, profile_id: uuid.UUID) -> None:
        """Drop the devices of a changed profile: their next message loads the new rules."""
        for device_id in [d for d, r in self._devices.items() if r.profile_id == profile_id]:
            del self._devices[device_id]

    def forget_device(self, device_id: uuid.UUID) -> None:
        """Drop a device changed elsewhere: its next message loads its rules again."""
        self._devices.pop(device_id, None)
        self._saved.pop(device_id, None)

    def forget_partition(self, partition: int, partitions: int) -> None:
        """Drop the devices of a queue partition that moved (its state is another node's,
        or was until now: the next message loads it again)."""
        for device_id in [d for d in self._devices if partition_for(d, partitions) == partition]:
            self.forget_device(device_id)

    async def _load_many(
        self, tenant_id: uuid.UUID, device_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, DeviceRules]:
        """Load (and keep) the states of devices this node does not hold yet.

        A load that a profile change overlapped may carry the old rules: it serves the
        messages that waited for it, but is not kept.
        """
        services = self.ctx.alarms()
        changes = services.changes
        stored: dict[uuid.UUID, StoredState] = {}
        if self._persist:
            stored = await services.states.load_many(tenant_id, self.ctx.node_id, device_ids)
        loaded = await services.load_many(tenant_id, device_ids)
        for device_id, rules in loaded.items():
            self._adopt(rules, stored.get(device_id), keep=changes == services.changes)
        return loaded

    def _adopt(self, rules: DeviceRules, stored: StoredState | None, keep: bool = True) -> None:
        device_id = rules.device_id
        if stored is not None:
            rules.restore(stored[1])
            self._saved[device_id] = stored[0]
        elif self._persist and rules.definitions:  # nothing stored: needs no row either
            self._saved[device_id] = orjson.dumps(rules.persisted()).decode()
        if not keep:
            return
        self._devices[device_id] = rules
        if self._timer is None and any(d.definition.has_timers for d in rules.definitions):
            self._timer = asyncio.create_task(self._tick(), name="device-profile-timer")

    async def _store(self, services: AlarmRuleServices, changed: list[DeviceRules]) -> None:
        """Upsert the states that differ from what was last written (persist only)."""
        if not self._persist:
            return
        rows: dict[uuid.UUID, str] = {}
        for rules in changed:
            raw = orjson.dumps(rules.persisted()).decode()
            if self._saved.get(rules.device_id) != raw:
                rows[rules.device_id] = raw
        if rows and await services.states.save(self.ctx.tenant_id, self.ctx.node_id, rows):
            self._saved.update(rows)

    def _emit(self, event: AlarmEvent, metadata: dict[str, str]) -> Emit:
        msg = alarm_msg(event.alarm, AlarmMsgType.ALARM, {**metadata, **event.metadata})
        return Emit(event.label, msg)

    async def check_timers(self, now: int | None = None) -> list[Emit]:
        """Re-check DURATION rules of every known device at ``now`` (the timer's work)."""
        services = self.ctx.alarms()
        await self.started()
        emits: list[Emit] = []
        devices = list(self._devices.values())
        for rules in devices:
            events = await rules.evaluate(services.alarms, set(), now or now_ms(), timer=True)
            emits.extend(self._emit(e, rules.last_metadata) for e in events)
        await self._store(services, devices)
        return emits

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.timer_interval)
            try:
                emits = await self.check_timers()
                if emits:
                    await self.ctx.emit_later(emits)
            except Exception:
                log.exception("device profile timer failed")

    async def destroy(self) -> None:
        """Stop the timers; the in-memory state goes with the node (persisted rows stay)."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        await self._loads.close()  # a load that ends later could start a timer again
        if self._fetching is not None and not self._fetching.done():
            self._fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetching
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
            self._timer = None


def _alarm_of(msg: Msg) -> Alarm | None:
    try:
        data = orjson.loads(msg.data)
        alarm_id = uuid.UUID(data["id"]["id"])
        cleared = bool(data.get("cleared"))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    try:
        _, parsed = alarm_from_wire(data, msg.tenant_id)
    except EntityError:
        return None
    return parsed.with_changes(
        id=alarm_id, cleared=cleared, acknowledged=bool(data.get("acknowledged"))
    )


NODES: tuple[type[RuleNode], ...] = (DeviceProfileNode,)
