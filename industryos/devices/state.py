"""Device connectivity state: connects, disconnects and activity, flushed in batches.

Transports report every connect, disconnect and message here; that costs a dict update,
never a database write. Every ``flush_interval`` seconds the devices whose state changed
get their SERVER_SCOPE attributes ``active``, ``lastConnectTime``, ``lastDisconnectTime``
and ``lastActivityTime`` saved through the telemetry service (ThingsBoard's names), so a
device sending 100 messages a second costs one attribute write per interval.

``active`` is true while the device has a live session (MQTT), or for
``inactivity_timeout`` seconds after its last message (HTTP and CoAP have no sessions).

Design limit: a crash loses the last interval of activity timestamps, which is the
price of not writing per message; connects/disconnects of that interval too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from industryos.telemetry.kv import AttributeScope, DataType, KvEntry

__all__ = ["AttributeSaver", "DeviceState", "DeviceStateTracker"]

log = logging.getLogger(__name__)


class AttributeSaver(Protocol):
    """What the tracker needs from the telemetry service."""

    async def save_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: list[KvEntry],
        ts: int | None = None,
    ) -> object:
        """Upsert attributes of one scope."""
        ...


@dataclass(slots=True)
class DeviceState:
    """What is known of one device's connectivity (times in epoch ms, 0 = never)."""

    tenant_id: uuid.UUID
    sessions: int = 0
    active: bool = False
    last_connect: int = 0
    last_disconnect: int = 0
    last_activity: int = 0
    dirty: bool = False

    def entries(self) -> list[KvEntry]:
        """The SERVER_SCOPE attributes this state is stored as."""
        return [
            KvEntry("active", self.active, DataType.BOOLEAN),
            KvEntry("lastConnectTime", self.last_connect, DataType.LONG),
            KvEntry("lastDisconnectTime", self.last_disconnect, DataType.LONG),
            KvEntry("lastActivityTime", self.last_activity, DataType.LONG),
        ]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class DeviceStateTracker:
    """In-memory connectivity state of devices, flushed periodically."""

    def __init__(
        self,
        telemetry: AttributeSaver,
        *,
        flush_interval: float = 5.0,
        inactivity_timeout: float = 600.0,
    ) -> None:
        self._telemetry = telemetry
        self._flush_interval = flush_interval
        self._inactivity_ms = int(inactivity_timeout * 1000)
        self._states: dict[uuid.UUID, DeviceState] = {}
        self._task: asyncio.Task[None] | None = None

    def state(self, device_id: uuid.UUID) -> DeviceState | None:
        """The tracked state of a device (None if it has not been seen since start)."""
        return self._states.get(device_id)

    def _get(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> DeviceState:
        state = self._states.get(device_id)
        if state is None:
            state = self._states[device_id] = DeviceState(tenant_id)
        return state

    def connected(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        """A session of the device opened."""
        state = self._get(device_id, tenant_id)
        now = _now_ms()
        state.sessions += 1
        state.active = True
        state.last_connect = state.last_activity = now
        state.dirty = True

    def disconnected(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        """A session of the device closed."""
        state = self._get(device_id, tenant_id)
        state.sessions = max(0, state.sessions - 1)
        state.last_disconnect = _now_ms()
        if not state.sessions:
            state.active = False
        state.dirty = True

    def activity(self, device_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
        """The device sent something (the hot path: one dict lookup and two stores)."""
        state = self._states.get(device_id)
        if state is None:
            state = self._get(device_id, tenant_id)
        if not state.active:
            state.active = True
        state.last_activity = _now_ms()
        state.dirty = True

    async def start(self) -> None:
        """Start the periodic flush."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="device-state-flush")

    async def stop(self) -> None:
        """Stop flushing, after one last flush of what changed."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_interval)
            try:
                await self.flush()
            except Exception:
                log.exception("device state flush failed")

    async def flush(self) -> int:
        """Save the state of every device that changed; returns how many were saved."""
        now = _now_ms()
        changed: list[tuple[uuid.UUID, DeviceState]] = []
        for device_id, state in self._states.items():
            if (
                state.active
                and not state.sessions
                and now - state.last_activity >= self._inactivity_ms
            ):
                state.active = False
                state.dirty = True
            if state.dirty:
                state.dirty = False
                changed.append((device_id, state))
        for device_id, state in changed:
            try:
                await self._telemetry.save_attributes(
                    state.tenant_id, device_id, AttributeScope.SERVER_SCOPE, state.entries()
                )
            except Exception:
                state.dirty = True  # retried at the next flush
                raise
        return len(changed)
