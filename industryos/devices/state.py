"""Device connectivity state (spec §8): connects, disconnects, activity and inactivity.

Transports report every connect, disconnect and message here; that costs a dict update,
never a database write. Three background loops do the rest:

* every ``flush_interval`` seconds the devices whose state changed get their SERVER_SCOPE
  attributes ``active``, ``lastConnectTime``, ``lastDisconnectTime``, ``lastActivityTime``
  and ``inactivityAlarmTime`` saved (ThingsBoard's names), so a device sending 100 messages
  a second costs one attribute write per interval, and up to ``_SAVE_CHUNK`` devices share
  one transaction (one commit per device kept SQLite's write lock, and a sync per commit,
  for most of every interval at a few hundred devices);
* every ``check_interval`` seconds devices silent for longer than their inactivity timeout
  (the ``inactivityTimeout`` server attribute in ms, else the global default) become
  inactive, with ``inactivityAlarmTime`` set;
* transitions (inactive → active, inactive, connect, disconnect) become ACTIVITY_EVENT,
  INACTIVITY_EVENT, CONNECT_EVENT and DISCONNECT_EVENT messages on the rule engine's queue
  as soon as they happen; the devices concerned are saved right after.

A device with an open session (MQTT, gateway child) stays active, as ThingsBoard's
transports keep reporting activity for live sessions; once its last session has closed,
silence past its timeout makes it inactive (closing itself does not: spec §8, and
:meth:`DeviceStateTracker.disconnected`).

Design limits: a crash loses the last interval of activity timestamps (the price of not
writing per message) and events not yet appended to the queue; state lives in this
process, so after a restart a device's first message is an ACTIVITY_EVENT again, and a
device never seen since the start is not checked for inactivity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from industryos.devices.state_events import (
    INACTIVITY_TIMEOUT,
    DeviceDirectory,
    DeviceInfo,
    event_msg,
    timeout_ms,
)
from industryos.msg import Msg, MsgType
from industryos.queue.interface import QueueProducer
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry
from industryos.telemetry.listeners import AttributesDeleted, AttributesUpdated, TelemetryEvent

if TYPE_CHECKING:
    pass

__all__ = ["AttributeSaver", "DeviceState", "DeviceStateTracker", "StateEventSink"]

log = logging.getLogger(__name__)

_SAVE_CHUNK = 1000
"""Devices whose state one transaction saves (5,000 attribute rows)."""


class AttributeSaver(Protocol):
    """What the tracker needs from the telemetry service."""

    async def save_attributes_many(
        self,
        writes: Sequence[tuple[uuid.UUID, uuid.UUID, AttributeScope, Sequence[KvEntry]]],
        ts: int | None = None,
    ) -> object:
        """Upsert ``(tenant_id, entity_id, scope, entries)`` writes in one transaction."""
        ...


@dataclass(frozen=True, slots=True)
class StateEventSink:
    """Where state events go: the queue topic the transports feed, and who names devices."""

    queue: QueueProducer
    topic: str
    directory: DeviceDirectory


_STORED_AS = (
    ("active", DataType.BOOLEAN),
    ("lastConnectTime", DataType.LONG),
    ("lastDisconnectTime", DataType.LONG),
    ("lastActivityTime", DataType.LONG),
    ("inactivityAlarmTime", DataType.LONG),
)
"""The SERVER_SCOPE attributes a device's state is stored as (ThingsBoard's names)."""


@dataclass(slots=True)
class DeviceState:
    """What is known of one device's connectivity (times in epoch ms, 0 = never)."""

    tenant_id: uuid.UUID
    sessions: int = 0
    active: bool = False
    last_connect: int = 0
    last_disconnect: int = 0
    last_activity: int = 0
    inactivity_alarm: int = 0
    timeout_ms: int = 0
    """The device's own ``inactivityTimeout`` (0: the global default)."""
    dirty: bool = False
    info: DeviceInfo | None = None
    saved: tuple[bool, int, int, int, int] | None = None
    """The stored values as this process last saved them (None: not saved yet)."""

    def values(self) -> tuple[bool, int, int, int, int]:
        """The stored fields, in the order of :data:`_STORED_AS`."""
        return (
            self.active,
            self.last_connect,
            self.last_disconnect,
            self.last_activity,
            self.inactivity_alarm,
        )

    def changed_entries(self, values: tuple[bool, int, int, int, int]) -> list[KvEntry]:
        """The SERVER_SCOPE attributes of ``values`` that differ from what was saved (all of
        them the first time): a device that only talks costs one row a flush, not five."""
        saved = self.saved
        return [
            KvEntry(key, value, data_type)
            for i, ((key, data_type), value) in enumerate(zip(_STORED_AS, values, strict=True))
            if saved is None or saved[i] != value
        ]

    def to_json(self, default_timeout_ms: int, *, with_active: bool = True) -> dict[str, Any]:
        """The state JSON of event messages (CONNECT_EVENT leaves ``active`` out)."""
        data: dict[str, Any] = {"active": self.active} if with_active else {}
        data.update(
            lastConnectTime=self.last_connect,
            lastActivityTime=self.last_activity,
            lastDisconnectTime=self.last_disconnect,
            lastInactivityAlarmTime=self.inactivity_alarm,
            inactivityTimeout=self.timeout_ms or default_timeout_ms,
        )
        return data


@dataclass(frozen=True, slots=True)
class _Event:
    type: MsgType
    device_id: uuid.UUID
    ts: int


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class DeviceStateTracker:
    """In-memory connectivity state of devices, flushed periodically, events queued."""

    def __init__(
        self,
        telemetry: AttributeSaver,
        *,
        flush_interval: float = 5.0,
        inactivity_timeout: float = 600.0,
        check_interval: float = 60.0,
        events: StateEventSink | None = None,
    ) -> None:
        self._telemetry = telemetry
        self._flush_interval = flush_interval
        self._check_interval = check_interval
        self._default_ms = int(inactivity_timeout * 1000)
        self._sink = events
        self._states: dict[uuid.UUID, DeviceState] = {}
        self._pending: list[_Event] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def state(self, device_id: uuid.UUID) -> DeviceState | None:
        """The tracked state of a device (None if it has not been seen since start)."""
        return self._states.get(device_id)

    def _get(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> DeviceState:
        state = self._states.get(device_id)
        if state is None:
            state = self._states[device_id] = DeviceState(tenant_id)
        return state

    def _event(self, msg_type: MsgType, device_id: uuid.UUID, ts: int) -> None:
        if self._sink is not None:
            self._pending.append(_Event(msg_type, device_id, ts))
            self._wake.set()

    def connected(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        """A session of the device opened (which is also activity)."""
        state = self._get(device_id, tenant_id)
        now = _now_ms()
        state.sessions += 1
        state.last_connect = now
        state.dirty = True
        self._event(MsgType.CONNECT_EVENT, device_id, now)
        self.activity(device_id, tenant_id)

    def disconnected(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        """A session of the device closed: ``lastDisconnectTime`` and a DISCONNECT_EVENT.

        As spec §8 says, closing a session does not make the device inactive: only silence
        past its inactivity timeout does (a device may reconnect at once, or keep talking
        over another transport).
        """
        state = self._get(device_id, tenant_id)
        now = _now_ms()
        state.sessions = max(0, state.sessions - 1)
        state.last_disconnect = now
        state.dirty = True
        self._event(MsgType.DISCONNECT_EVENT, device_id, now)

    def activity(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        """The device sent something (the hot path: one dict lookup and two stores)."""
        state = self._states.get(device_id)
        if state is None:
            state = self._get(device_id, tenant_id)
        now = _now_ms()
        state.last_activity = now
        state.dirty = True
        if not state.active:
            state.active = True
            state.inactivity_alarm = 0
            self._event(MsgType.ACTIVITY_EVENT, device_id, now)

    def connect_reported(self, device_id: uuid.UUID, tenant_id: uuid.UUID, ts: int) -> None:
        """A connect reported by the rule engine (no session of ours): ``lastConnectTime``
        and a CONNECT_EVENT when ``ts`` is newer; sessions and activity are left alone."""
        state = self._get(device_id, tenant_id)
        if ts > state.last_connect:
            state.last_connect = ts
            state.dirty = True
            self._event(MsgType.CONNECT_EVENT, device_id, ts)

    def disconnect_reported(self, device_id: uuid.UUID, tenant_id: uuid.UUID, ts: int) -> None:
        """A disconnect reported by the rule engine: ``lastDisconnectTime`` and a
        DISCONNECT_EVENT when ``ts`` is newer; the transports' sessions are left alone."""
        state = self._get(device_id, tenant_id)
        if ts > state.last_disconnect:
            state.last_disconnect = ts
            state.dirty = True
            self._event(MsgType.DISCONNECT_EVENT, device_id, ts)

    def inactivity(self, device_id: uuid.UUID, tenant_id: uuid.UUID, ts: int | None = None) -> None:
        """The device is reported inactive (rule engine's device state node, INACTIVITY_EVENT).

        ``active=false``, ``inactivityAlarmTime`` = ``ts`` (default now) and an
        INACTIVITY_EVENT, as the periodic check does; the device's next activity makes it
        active again.
        """
        state = self._get(device_id, tenant_id)
        at = _now_ms() if ts is None else ts
        state.active = False
        state.inactivity_alarm = at
        state.dirty = True
        self._event(MsgType.INACTIVITY_EVENT, device_id, at)

    def check_inactivity(self, now: int | None = None) -> int:
        """Mark devices silent past their timeout inactive; returns how many changed."""
        now = _now_ms() if now is None else now
        changed = 0
        for device_id, state in self._states.items():
            if not state.active or state.sessions:
                continue
            if now > state.last_activity + (state.timeout_ms or self._default_ms):
                state.active = False
                state.inactivity_alarm = now
                state.dirty = True
                changed += 1
                self._event(MsgType.INACTIVITY_EVENT, device_id, now)
        return changed

    def attributes_changed(self, event: TelemetryEvent) -> None:
        """Telemetry listener: a new ``inactivityTimeout`` applies at once (≤ 0 → default)."""
        if not isinstance(event, AttributesUpdated | AttributesDeleted):
            return
        if event.scope is not AttributeScope.SERVER_SCOPE:
            return
        state = self._states.get(event.entity_id)
        if state is None:
            return
        if isinstance(event, AttributesDeleted):
            if INACTIVITY_TIMEOUT in event.keys:
                state.timeout_ms = 0
            return
        for entry in event.entries:
            if entry.key == INACTIVITY_TIMEOUT:
                state.timeout_ms = timeout_ms(entry.native_value())

    def forget_device(self, device_id: uuid.UUID, *, deleted: bool) -> None:
        """A device changed (here or on another node): read its name and owners again on
        the next event; a deleted one is no longer tracked."""
        state = self._states.get(device_id)
        if state is None:
            return
        if deleted:
            del self._states[device_id]
        else:
            state.info = None

    async def start(self) -> None:
        """Start the flush, inactivity check and event loops."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(
                    self._every(self._flush_interval, self.flush), name="state-flush"
                ),
                asyncio.create_task(
                    self._every(self._check_interval, self._check), name="state-check"
                ),
                asyncio.create_task(self._events_loop(), name="state-events"),
            ]

    async def stop(self) -> None:
        """Stop the loops, after queueing the last events and one last flush."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        try:
            await self.publish_events()
        except Exception:
            log.exception("device state events lost at stop")
        await self.flush()

    async def _every(self, interval: float, work: Callable[[], Awaitable[object]]) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await work()
            except Exception:
                log.exception("device state %s failed", getattr(work, "__name__", work))

    async def _check(self) -> None:
        self.check_inactivity()

    async def _events_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.publish_events()
            except Exception:
                log.exception("device state events failed")

    async def publish_events(self) -> int:
        """Append the pending events to the queue, then save those devices; returns the count."""
        if self._sink is None or not self._pending:
            return 0
        pending, self._pending = self._pending, []
        msgs: list[Msg] = []
        touched: set[uuid.UUID] = set()
        try:
            await self._learn({event.device_id for event in pending})
            for event in pending:
                state = self._states.get(event.device_id)
                if state is None or state.info is None:
                    continue
                data = state.to_json(
                    self._default_ms, with_active=event.type is not MsgType.CONNECT_EVENT
                )
                msgs.append(
                    event_msg(
                        event.type, state.tenant_id, event.device_id, state.info, data, event.ts
                    )
                )
                touched.add(event.device_id)
            if msgs:
                await self._sink.queue.append_many(self._sink.topic, msgs)
        except BaseException:  # a failure, or stop cancelling the events loop mid-way
            self._pending[:0] = pending  # appended by the next call, or the last one at stop
            raise
        await self._save([d for d in touched if d in self._states])
        return len(msgs)

    async def _learn(self, device_ids: set[uuid.UUID]) -> None:
        """Read what the events' devices are, all unknown ones in one go; a device that is
        gone (deleted meanwhile) is forgotten."""
        assert self._sink is not None
        unknown = [
            (state.tenant_id, device_id)
            for device_id in device_ids
            if (state := self._states.get(device_id)) is not None and state.info is None
        ]
        if not unknown:
            return
        infos = await self._sink.directory.device_infos(unknown)
        for _, device_id in unknown:
            state = self._states.get(device_id)
            info = infos.get(device_id)
            if state is None or state.info is not None:
                continue
            if info is None:
                self._states.pop(device_id, None)
            else:
                self._adopt(state, info)

    def _adopt(self, state: DeviceState, info: DeviceInfo) -> None:
        """First sight of a device in this process: take what storage remembers of it."""
        first = state.info is None and state.timeout_ms == 0
        state.info = info
        if first:
            state.timeout_ms = info.inactivity_timeout_ms
        stored = info.stored
        state.last_connect = max(state.last_connect, stored.last_connect)
        state.last_disconnect = max(state.last_disconnect, stored.last_disconnect)

    async def flush(self) -> int:
        """Save the state of every device that changed; returns how many had rows to write."""
        return await self._save([d for d, s in self._states.items() if s.dirty])

    async def _save(self, device_ids: list[uuid.UUID]) -> int:
        """Save the dirty ones, ``_SAVE_CHUNK`` devices a transaction (one commit each)."""
        dirty = [(d, s) for d in device_ids if (s := self._states[d]).dirty]
        written = 0
        for start in range(0, len(dirty), _SAVE_CHUNK):
            chunk = [(d, s, s.values()) for d, s in dirty[start : start + _SAVE_CHUNK]]
            writes = []
            for device_id, state, values in chunk:
                state.dirty = False
                entries = state.changed_entries(values)
                if entries:
                    writes.append(
                        (state.tenant_id, device_id, AttributeScope.SERVER_SCOPE, entries)
                    )
            try:
                if writes:
                    await self._telemetry.save_attributes_many(writes)
            except BaseException:  # a failure, or stop cancelling a loop that was saving
                for _, state in dirty[start:]:
                    state.dirty = True  # saved by the next flush, or the last one at stop
                raise
            for _, state, values in chunk:
                state.saved = values
            written += len(writes)
        return written
