"""Device state: in-memory tracking, flushed as SERVER_SCOPE attributes in batches, and the
ACTIVITY/INACTIVITY/CONNECT/DISCONNECT events on the rule engine's queue (spec §8)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.state import DeviceStateTracker, StateEventSink
from industryos.devices.state_events import DeviceInfo, StateDirectory
from industryos.entities.models import Device
from industryos.msg import Msg
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.queue.interface import QueueConsumer
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry
from tests.support.core import CoreWithTenant, core_with_tenant

TOPIC = "Main"
SERVER = AttributeScope.SERVER_SCOPE


@dataclass
class Env:
    base: CoreWithTenant
    queue: EmbeddedQueue
    consumer: QueueConsumer

    @property
    def tenant(self) -> uuid.UUID:
        return self.base.admin.tenant_id

    def tracker(self, **kwargs: Any) -> DeviceStateTracker:
        core = self.base.core
        sink = StateEventSink(self.queue, TOPIC, StateDirectory(core.db, core.telemetry))
        tracker = DeviceStateTracker(core.telemetry, events=sink, **kwargs)
        core.telemetry.subscribe(tracker.attributes_changed)
        return tracker

    async def device(self, name: str) -> uuid.UUID:
        saved = await self.base.core.devices.save(self.base.admin, Device(name=name, label="L"))
        assert saved.id is not None
        return saved.id

    async def events(self) -> list[Msg]:
        msgs: list[Msg] = []
        for batch in await self.consumer.fetch(max_wait=0.2):
            msgs.extend(r.msg for r in batch.records if r.msg.type.endswith("_EVENT"))
            await self.consumer.ack(batch.partition, batch.last_offset)
        return msgs

    async def server_attributes(self, device: uuid.UUID) -> dict[str, Any]:
        found = await self.base.core.telemetry.get_attributes(self.tenant, device, SERVER)
        return {e.key: e.native_value() for e in found.get(SERVER, [])}


@pytest.fixture
async def env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Env]:
    base = await core_with_tenant(engine, tmp_path / "core")
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    consumer = await queue.subscribe(TOPIC, "test")
    yield Env(base, queue, consumer)
    await consumer.close()
    await queue.close()
    await base.close()


async def test_connect_activity_disconnect_are_flushed_once(env: Env) -> None:
    telemetry = env.base.core.telemetry
    tracker = DeviceStateTracker(telemetry, flush_interval=3600)
    device = uuid.uuid4()
    tracker.connected(device, env.tenant)
    for _ in range(1000):
        tracker.activity(device, env.tenant)
    assert await telemetry.get_attributes(env.tenant, device) == {}  # nothing written yet
    assert await tracker.flush() == 1
    values = await env.server_attributes(device)
    assert values["active"] is True
    assert values["lastConnectTime"] > 0 and values["lastActivityTime"] > 0
    assert values["lastDisconnectTime"] == 0 and values["inactivityAlarmTime"] == 0
    assert await tracker.flush() == 0  # unchanged state is not written again
    tracker.disconnected(device, env.tenant)
    await tracker.stop()  # the last flush happens at stop
    values = await env.server_attributes(device)
    assert values["lastDisconnectTime"] > 0
    assert values["active"] is True  # spec §8: closing a session does not deactivate


async def test_a_flush_saves_every_changed_device_in_one_transaction(env: Env) -> None:
    """One bulk save (one transaction, one sync) per flush, not one per device: per-device
    commits held SQLite's write lock for most of every interval at a few hundred devices."""
    telemetry = env.base.core.telemetry
    tracker = DeviceStateTracker(telemetry, flush_interval=3600)
    devices = [uuid.uuid4() for _ in range(3)]
    for device in devices:
        tracker.connected(device, env.tenant)
    saves: list[int] = []
    save_many = telemetry.save_attributes_many

    async def counted(writes: Sequence[Any], ts: int | None = None) -> None:
        saves.append(len(writes))
        await save_many(writes, ts)

    telemetry.save_attributes_many = counted  # type: ignore[method-assign]
    try:
        assert await tracker.flush() == 3
    finally:
        del telemetry.save_attributes_many
    assert saves == [3]
    for device in devices:
        assert (await env.server_attributes(device))["lastConnectTime"] > 0
    await tracker.stop()


async def test_a_flush_writes_only_what_changed(env: Env) -> None:
    """The first save of a device writes its five state attributes; later ones only those
    that changed since: a device that keeps talking costs one row a flush, not five."""
    telemetry = env.base.core.telemetry
    tracker = DeviceStateTracker(telemetry, flush_interval=3600)
    device = uuid.uuid4()
    written: list[list[str]] = []
    save_many = telemetry.save_attributes_many

    async def recorded(writes: Sequence[Any], ts: int | None = None) -> None:
        written.extend([e.key for e in entries] for _, _, _, entries in writes)
        await save_many(writes, ts)

    telemetry.save_attributes_many = recorded  # type: ignore[method-assign]
    try:
        tracker.connected(device, env.tenant)
        assert await tracker.flush() == 1
        state = tracker.state(device)
        assert state is not None
        state.last_activity -= 1  # the next message is at least a millisecond later
        tracker.activity(device, env.tenant)
        assert await tracker.flush() == 1
        tracker.disconnected(device, env.tenant)
        assert await tracker.flush() == 1
    finally:
        del telemetry.save_attributes_many
    assert written == [
        [
            "active",
            "lastConnectTime",
            "lastDisconnectTime",
            "lastActivityTime",
            "inactivityAlarmTime",
        ],
        ["lastActivityTime"],
        ["lastDisconnectTime"],
    ]
    values = await env.server_attributes(device)
    assert values["active"] is True and values["lastDisconnectTime"] >= values["lastConnectTime"]
    await tracker.stop()


async def test_sessionless_activity_expires(env: Env) -> None:
    tracker = DeviceStateTracker(env.base.core.telemetry, inactivity_timeout=0.001)
    device = uuid.uuid4()
    tracker.activity(device, env.tenant)
    state = tracker.state(device)
    assert state is not None and state.active
    assert tracker.check_inactivity(now=state.last_activity + 1000) == 1
    assert state.active is False and state.inactivity_alarm == state.last_activity + 1000
    tracker.activity(device, env.tenant)
    assert state.active and state.inactivity_alarm == 0  # reset on reactivation


async def test_traffic_then_silence_emit_one_activity_then_inactivity(env: Env) -> None:
    """Checklist 39 against the tracker, with the per-device timeout attribute."""
    device = await env.device("thermo-1")
    await env.base.core.telemetry.save_attributes(
        env.tenant, device, SERVER, [KvEntry("inactivityTimeout", 2000, DataType.LONG)]
    )
    tracker = env.tracker(inactivity_timeout=3600)
    for _ in range(50):
        tracker.activity(device, env.tenant)
    assert await tracker.publish_events() == 1
    [activity] = await env.events()
    assert activity.type == "ACTIVITY_EVENT"
    assert activity.metadata == {
        "deviceName": "thermo-1",
        "deviceLabel": "L",
        "deviceType": "default",
        "scope": "SERVER_SCOPE",
    }
    data = orjson.loads(activity.data)
    assert data["active"] is True and data["inactivityTimeout"] == 2000
    assert set(data) == {
        "active",
        "lastConnectTime",
        "lastActivityTime",
        "lastDisconnectTime",
        "lastInactivityAlarmTime",
        "inactivityTimeout",
    }
    values = await env.server_attributes(device)
    assert values["active"] is True and values["lastActivityTime"] == data["lastActivityTime"]
    state = tracker.state(device)
    assert state is not None
    assert tracker.check_inactivity(now=state.last_activity + 1999) == 0  # device timeout
    silent_at = state.last_activity + 2001
    assert tracker.check_inactivity(now=silent_at) == 1
    assert await tracker.publish_events() == 1
    [inactivity] = await env.events()
    assert inactivity.type == "INACTIVITY_EVENT"
    assert orjson.loads(inactivity.data)["active"] is False
    assert orjson.loads(inactivity.data)["lastInactivityAlarmTime"] == silent_at
    values = await env.server_attributes(device)
    assert values["active"] is False and values["inactivityAlarmTime"] == silent_at
    assert tracker.check_inactivity(now=silent_at + 10_000) == 0  # once only
    await tracker.stop()


async def test_timeout_attribute_change_applies_at_once(env: Env) -> None:
    device = await env.device("thermo-2")
    tracker = env.tracker(inactivity_timeout=10)
    tracker.activity(device, env.tenant)
    await tracker.publish_events()
    state = tracker.state(device)
    assert state is not None
    last = state.last_activity
    assert tracker.check_inactivity(now=last + 5000) == 0  # global default 10 s
    telemetry = env.base.core.telemetry
    await telemetry.save_attributes(
        env.tenant, device, SERVER, [KvEntry("inactivityTimeout", 1000, DataType.LONG)]
    )
    assert tracker.check_inactivity(now=last + 1001) == 1
    tracker.activity(device, env.tenant)
    last = state.last_activity
    await telemetry.save_attributes(
        env.tenant, device, SERVER, [KvEntry("inactivityTimeout", 0, DataType.LONG)]
    )  # ≤ 0 → the default again
    assert tracker.check_inactivity(now=last + 5000) == 0
    assert tracker.check_inactivity(now=last + 10_001) == 1
    await tracker.stop()


async def test_connect_and_disconnect_events(env: Env) -> None:
    device = await env.device("gw-child")
    tracker = env.tracker()
    tracker.connected(device, env.tenant)
    tracker.activity(device, env.tenant)
    await tracker.publish_events()
    tracker.disconnected(device, env.tenant)
    await tracker.publish_events()
    events = await env.events()
    # Spec §8: closing the session does not make the device inactive; silence does.
    assert [m.type for m in events] == ["CONNECT_EVENT", "ACTIVITY_EVENT", "DISCONNECT_EVENT"]
    assert "active" not in orjson.loads(events[0].data)
    assert orjson.loads(events[2].data)["lastDisconnectTime"] > 0
    state = tracker.state(device)
    assert state is not None and state.sessions == 0 and state.active
    assert tracker.check_inactivity(now=state.last_activity + 10**9) == 1
    await tracker.publish_events()
    assert [m.type for m in await env.events()][-1] == "INACTIVITY_EVENT"
    assert not state.active
    await tracker.stop()


async def test_stop_saves_what_a_cancelled_save_or_append_had_taken(env: Env) -> None:
    """Stop cancels the tracker's loops, and at a shutdown with a fleet disconnecting they are
    busy: the devices a cancelled save had taken stay dirty and the events a cancelled append
    had taken stay pending, so the last flush at stop still writes them (one chunk of a
    17,000-device fleet's disconnects was lost this way)."""
    telemetry = env.base.core.telemetry
    device = await env.device("leaving")
    tracker = env.tracker(flush_interval=3600)
    tracker.connected(device, env.tenant)
    await tracker.publish_events()
    await env.events()
    tracker.disconnected(device, env.tenant)
    entered = asyncio.Event()

    async def stuck(*args: Any, **kwargs: Any) -> None:
        entered.set()
        await asyncio.Event().wait()

    for target, name, work in (
        (env.queue, "append_many", tracker.publish_events),
        (telemetry, "save_attributes_many", tracker.flush),
    ):
        setattr(target, name, stuck)
        entered.clear()
        busy = asyncio.create_task(work())
        async with asyncio.timeout(5):
            await entered.wait()
        busy.cancel()
        with pytest.raises(asyncio.CancelledError):
            await busy
        delattr(target, name)  # the real method again
    await tracker.stop()
    assert [m.type for m in await env.events()] == ["DISCONNECT_EVENT"]
    assert (await env.server_attributes(device))["lastDisconnectTime"] > 0


async def test_unknown_device_is_forgotten(env: Env) -> None:
    tracker = env.tracker()
    stranger = uuid.uuid4()
    tracker.activity(stranger, env.tenant)
    assert await tracker.publish_events() == 0
    assert tracker.state(stranger) is None
    assert await env.events() == []
    await tracker.stop()


async def test_a_fleet_reconnecting_is_read_in_one_go(env: Env) -> None:
    """Events of devices the tracker has not seen yet: what they are is read for all of
    them together (not two reads per device in a row), a device of another tenant or a
    deleted one is left out, and each event carries its own device's facts."""
    core = env.base.core
    devices = [await env.device(f"fleet-{i}") for i in range(5)]
    await core.telemetry.save_attributes(
        env.tenant, devices[0], SERVER, [KvEntry("inactivityTimeout", 5000, DataType.LONG)]
    )
    tracker = env.tracker(flush_interval=3600)
    assert tracker._sink is not None
    directory = tracker._sink.directory
    asked: list[int] = []
    read = directory.device_infos

    async def counted(
        devices: Sequence[tuple[uuid.UUID, uuid.UUID]],
    ) -> dict[uuid.UUID, DeviceInfo]:
        asked.append(len(devices))
        return await read(devices)

    directory.device_infos = counted  # type: ignore[method-assign]
    stranger = uuid.uuid4()
    for device in devices:
        tracker.connected(device, env.tenant)
    tracker.connected(stranger, env.tenant)  # no such device: its events are dropped
    assert await tracker.publish_events() == 10  # CONNECT and ACTIVITY of each device
    assert asked == [6]
    events = await env.events()
    assert sorted(m.metadata["deviceName"] for m in events) == sorted(
        [f"fleet-{i}" for i in range(5)] * 2
    )
    timeouts = {
        m.metadata["deviceName"]: orjson.loads(m.data).get("inactivityTimeout")
        for m in events
        if m.type == "ACTIVITY_EVENT"
    }
    assert timeouts["fleet-0"] == 5000 and timeouts["fleet-1"] != 5000
    other_tenant = await read([(uuid.uuid4(), devices[1]), (env.tenant, devices[2])])
    assert set(other_tenant) == {devices[2]}  # a device is only found in its own tenant
    await tracker.stop()
