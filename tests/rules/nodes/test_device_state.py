"""Device state node: the four connectivity events reach the tracker, rate limited per device."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from industryos.devices.state import DeviceStateTracker, StateEventSink
from industryos.devices.state_events import StateDirectory
from industryos.msg import Msg
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.queue.interface import QueueConsumer
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.nodes.device_state import RATE_LIMITED, DeviceStateNode, RateLimit
from industryos.telemetry.kv import AttributeScope
from tests.rules.nodes.conftest import NodeEnv

TOPIC = "Main"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(DeviceStateNode, "clock", fake)
    return fake


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[EmbeddedQueue]:
    opened = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    yield opened
    await opened.close()


@pytest.fixture
async def consumer(queue: EmbeddedQueue) -> AsyncIterator[QueueConsumer]:
    subscribed = await queue.subscribe(TOPIC, "test")
    yield subscribed
    await subscribed.close()


def _tracker(node_env: NodeEnv, queue: EmbeddedQueue) -> DeviceStateTracker:
    core = node_env.base.core
    sink = StateEventSink(queue, TOPIC, StateDirectory(core.db, core.telemetry))
    tracker = DeviceStateTracker(core.telemetry, events=sink, inactivity_timeout=3600)
    node_env.services = ServiceSet(device_state=tracker)
    return tracker


async def _events(consumer: QueueConsumer) -> list[Msg]:
    msgs: list[Msg] = []
    for batch in await consumer.fetch(max_wait=0.2):
        msgs.extend(r.msg for r in batch.records)
        await consumer.ack(batch.partition, batch.last_offset)
    return msgs


async def test_connect_activity_disconnect_reach_the_tracker(
    node_env: NodeEnv, queue: EmbeddedQueue, consumer: QueueConsumer, clock: Clock
) -> None:
    tracker = _tracker(node_env, queue)
    device = await node_env.device("gw-child")
    connect = node_env.build(DeviceStateNode, event="CONNECT_EVENT")
    (emit,) = await connect.on_msg(node_env.msg({}, device, ts="5000"))
    assert emit.label == "Success"
    state = tracker.state(device.id)
    assert state is not None and state.last_connect == 5000
    # as in ThingsBoard, a reported connect leaves activity and session counts alone
    assert state.sessions == 0 and not state.active
    (limited,) = await connect.on_msg(node_env.msg({}, device, ts="6000"))  # same second
    assert limited.label == RATE_LIMITED and state.last_connect == 5000
    clock.now += 1.5
    await connect.on_msg(node_env.msg({}, device, ts="4000"))  # stale: ignored
    assert state.last_connect == 5000

    # a transport's live session is not closed by a disconnect a chain reports
    tracker.connected(device.id, node_env.tenant_id)
    assert state.sessions == 1 and state.active
    disconnect = node_env.build(DeviceStateNode, event="DISCONNECT_EVENT")
    await disconnect.on_msg(node_env.msg({}, device, ts="7000"))
    assert state.sessions == 1 and state.active and state.last_disconnect == 7000

    activity = node_env.build(DeviceStateNode)
    clock.now += 1.5
    await activity.on_msg(node_env.msg({}, device))
    assert state.last_activity > 0
    assert await tracker.publish_events() == 4
    types = [m.type for m in await _events(consumer)]
    assert types == ["CONNECT_EVENT", "CONNECT_EVENT", "ACTIVITY_EVENT", "DISCONNECT_EVENT"]

    asset = await node_env.asset("not a device")
    with pytest.raises(NodeFailure, match="Only DEVICE entity type is supported"):
        await activity.on_msg(node_env.msg({}, asset))
    assert tracker.state(asset.id) is None
    with pytest.raises(NodeConfigError, match="event must be one of"):
        node_env.build(DeviceStateNode, event="SLEEP_EVENT")


async def test_inactivity_event_marks_the_device_inactive_with_the_usual_effects(
    node_env: NodeEnv, queue: EmbeddedQueue, consumer: QueueConsumer, clock: Clock
) -> None:
    tracker = _tracker(node_env, queue)
    device = await node_env.device("thermo")
    tracker.activity(device.id, node_env.tenant_id)
    assert await tracker.publish_events() == 1
    assert [m.type for m in await _events(consumer)] == ["ACTIVITY_EVENT"]

    inactivity = node_env.build(DeviceStateNode, event="INACTIVITY_EVENT")
    (emit,) = await inactivity.on_msg(node_env.msg({}, device, ts="1700000000000"))
    assert emit.label == "Success"
    state = tracker.state(device.id)
    assert state is not None and not state.active
    assert state.inactivity_alarm == 1_700_000_000_000
    assert await tracker.publish_events() == 1
    (event,) = await _events(consumer)
    assert event.type == "INACTIVITY_EVENT" and event.originator == device
    assert event.metadata["deviceName"] == "thermo"
    assert event.metadata["scope"] == "SERVER_SCOPE"
    data = orjson.loads(event.data)
    assert data["active"] is False and data["lastInactivityAlarmTime"] == 1_700_000_000_000
    stored = await node_env.base.core.telemetry.get_attributes(
        node_env.tenant_id, device.id, AttributeScope.SERVER_SCOPE
    )
    values = {e.key: e.native_value() for e in stored[AttributeScope.SERVER_SCOPE]}
    assert values["active"] is False
    assert values["inactivityAlarmTime"] == 1_700_000_000_000

    # the next activity makes it active again, with ACTIVITY_EVENT and the alarm time reset
    clock.now += 1.5
    activity = node_env.build(DeviceStateNode, event="ACTIVITY_EVENT")
    await activity.on_msg(node_env.msg({}, device))
    assert state.active and state.inactivity_alarm == 0
    assert await tracker.publish_events() == 1
    assert [m.type for m in await _events(consumer)] == ["ACTIVITY_EVENT"]


async def test_inactivity_without_ts_metadata_uses_the_message_time(
    node_env: NodeEnv, queue: EmbeddedQueue, clock: Clock
) -> None:
    tracker = _tracker(node_env, queue)
    device = await node_env.device("quiet")
    node = node_env.build(DeviceStateNode, event="INACTIVITY_EVENT")
    msg = node_env.msg({}, device)
    await node.on_msg(msg)
    state = tracker.state(device.id)
    assert state is not None and state.inactivity_alarm == msg.ts


def test_rate_limit_windows_follow_thingsboard_defaults() -> None:
    clock = Clock()
    limit = RateLimit(clock=clock)
    device, other = uuid.uuid4(), uuid.uuid4()
    admitted = 0
    for _ in range(120):  # one try a second for two minutes
        admitted += limit.admit(device)
        assert limit.admit(device) is False  # twice in the same second never
        clock.now += 1.0
    assert admitted == 60  # 30 in each minute
    assert limit.admit(other)  # per device

    hourly = RateLimit(clock=clock)
    start = clock.now
    for _ in range(60):  # two a minute: within the minute window, the hour's 60 used up
        assert hourly.admit(device)
        clock.now += 30.0
    while clock.now < start + 3600.0:
        assert hourly.admit(device) is False
        clock.now += 30.0
    assert hourly.admit(device)  # the first one left the hour window
