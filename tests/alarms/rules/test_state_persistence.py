"""persistAlarmRulesState / fetchAlarmRulesStateOnStart: alarm-rule counters survive a
restart (a new device profile node and new services over the same database), are written
only when they change, are scoped by tenant and go with their device, on both engines."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.alarms.rules.schema import alarm_rule_state
from industryos.alarms.rules.state_store import AlarmRuleStateStore
from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue import partition_for
from industryos.rules.nodes.base import Emit, NodeConfig, NodeContext, ServiceSet
from industryos.rules.nodes.profile import DeviceProfileNode
from tests.support.core import CoreWithTenant, core_with_tenant

Json = dict[str, Any]

REPEATING = {"type": "REPEATING", "predicate": {"defaultValue": 3}}
DURATION = {"type": "DURATION", "unit": "SECONDS", "predicate": {"defaultValue": 5}}


def heat(spec: Json) -> Json:
    """A CRITICAL ``Heat`` alarm when ``t`` > 50, with ``spec``."""
    condition = {
        "key": {"type": "TIME_SERIES", "key": "t"},
        "valueType": "NUMERIC",
        "predicate": {"type": "NUMERIC", "operation": "GREATER", "value": {"defaultValue": 50}},
    }
    create = {"condition": {"condition": [condition], "spec": spec}, "alarmDetails": None}
    return {"id": "heat", "alarmType": "Heat", "createRules": {"CRITICAL": create}}


@dataclass
class Rig:
    base: CoreWithTenant
    node_id: uuid.UUID = field(default_factory=uuid.uuid4)
    nodes: list[DeviceProfileNode] = field(default_factory=list)

    @property
    def tenant(self) -> uuid.UUID:
        return self.base.admin.tenant_id

    def start(self, persist: bool, fetch: bool) -> DeviceProfileNode:
        """A freshly started node (new services, empty caches) with this rig's node id."""
        core = self.base.core
        services = ServiceSet(
            alarms=AlarmRuleServices(core.db, core.alarms.service, core.telemetry)
        )

        async def emit_later(emits: Sequence[Emit]) -> None:
            raise AssertionError("the test drives the timer itself")

        ctx = NodeContext(
            self.node_id,
            "profile",
            self.tenant,
            uuid.uuid4(),
            DeviceProfileNode.requires,
            services,
            emit_later,
        )
        config = {"persistAlarmRulesState": persist, "fetchAlarmRulesStateOnStart": fetch}
        node = DeviceProfileNode(NodeConfig(DeviceProfileNode.clazz, config), ctx)
        self.nodes.append(node)
        return node

    async def restart(
        self, node: DeviceProfileNode, persist: bool, fetch: bool
    ) -> DeviceProfileNode:
        await node.destroy()
        return self.start(persist, fetch)

    async def device(self, alarm: Json) -> uuid.UUID:
        return await self.base.device_with_alarms([alarm])

    async def send(
        self, node: DeviceProfileNode, device: uuid.UUID, ts: int, t: float
    ) -> list[Emit]:
        """Post ``t`` at ``ts``; the alarm outputs (``Success`` left out)."""
        msg = Msg(
            type=MsgType.POST_TELEMETRY_REQUEST,
            originator=EntityRef(EntityType.DEVICE, device),
            tenant_id=self.tenant,
            data=orjson.dumps({"t": t}).decode(),
            metadata={"deviceName": "d", "deviceType": "default", "ts": str(ts)},
        )
        emits = await node.on_msg(msg)
        assert emits[-1].label == "Success"
        return emits[:-1]

    async def rows(self, device: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
        s = alarm_rule_state.c
        async with self.base.core.db.read() as conn:
            result = await conn.execute(
                sa.select(s.rule_node_id, s.tenant_id, s.state_data).where(s.device_id == device)
            )
            return [(r[0], r[1], r[2]) for r in result.all()]


@pytest.fixture
async def rig(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Rig]:
    base = await core_with_tenant(engine, tmp_path)
    made = Rig(base)
    yield made
    for node in made.nodes:
        await node.destroy()
    await base.close()


@pytest.mark.parametrize("fetch", [True, False])
async def test_repeating_count_survives_a_restart(rig: Rig, fetch: bool) -> None:
    """Two of three matches before the restart, the third after it raises the alarm."""
    device = await rig.device(heat(REPEATING))
    node = rig.start(persist=True, fetch=fetch)
    assert await rig.send(node, device, 1000, 60) == []
    assert await rig.send(node, device, 2000, 60) == []
    [(node_id, tenant_id, raw)] = await rig.rows(device)
    assert (node_id, tenant_id) == (rig.node_id, rig.tenant)
    assert orjson.loads(raw)["heat"]["creates"]["CRITICAL"][0] == 2
    node = await rig.restart(node, persist=True, fetch=fetch)
    [created] = await rig.send(node, device, 3000, 60)
    assert created.label == "Alarm Created"
    assert created.msg.metadata["alarmConditionRepeats"] == "3"


async def test_without_persist_the_count_starts_again(rig: Rig) -> None:
    device = await rig.device(heat(REPEATING))
    node = rig.start(persist=False, fetch=True)
    assert await rig.send(node, device, 1000, 60) == []
    assert await rig.send(node, device, 2000, 60) == []
    assert await rig.rows(device) == []
    node = await rig.restart(node, persist=False, fetch=True)
    assert await rig.send(node, device, 3000, 60) == []
    assert await rig.send(node, device, 4000, 60) == []
    [created] = await rig.send(node, device, 5000, 60)
    assert created.msg.metadata["alarmConditionRepeats"] == "3"


async def test_duration_timer_resumes_after_restart_with_fetch_on_start(rig: Rig) -> None:
    """Fetched at start: the timer raises the DURATION alarm with no new message."""
    device = await rig.device(heat(DURATION))
    node = rig.start(persist=True, fetch=True)
    assert await rig.send(node, device, 1_000, 60) == []
    node = await rig.restart(node, persist=True, fetch=True)
    await node.started()
    [created] = await node.check_timers(now=6_001)
    assert created.label == "Alarm Created"
    assert created.msg.metadata["alarmConditionDuration"] == "5001"


async def test_duration_is_loaded_on_first_message_without_fetch(rig: Rig) -> None:
    """Not fetched at start: the node knows the device again on its first message."""
    device = await rig.device(heat(DURATION))
    node = rig.start(persist=True, fetch=False)
    assert await rig.send(node, device, 1_000, 60) == []
    node = await rig.restart(node, persist=True, fetch=False)
    assert await node.check_timers(now=9_000) == []  # not loaded yet
    [created] = await rig.send(node, device, 6_001, 60)
    assert created.msg.metadata["alarmConditionDuration"] == "5001"


async def test_state_is_written_only_when_it_changes(rig: Rig) -> None:
    device = await rig.device(heat(REPEATING))
    node = rig.start(persist=True, fetch=False)
    assert await rig.send(node, device, 1000, 20) == []  # nothing counted: nothing stored
    assert await rig.rows(device) == []
    assert await rig.send(node, device, 2000, 60) == []
    s = alarm_rule_state.c
    async with rig.base.core.db.transaction() as conn:
        await conn.execute(
            sa.update(alarm_rule_state).where(s.device_id == device).values(state_data="{}")
        )
    assert await rig.send(node, device, 3000, 20) == []  # resets the count: a change
    [(_, _, raw)] = await rig.rows(device)
    assert orjson.loads(raw)["heat"]["creates"]["CRITICAL"][0] == 0
    async with rig.base.core.db.transaction() as conn:
        await conn.execute(
            sa.update(alarm_rule_state).where(s.device_id == device).values(state_data="{}")
        )
    assert await rig.send(node, device, 4000, 20) == []  # still zero: no write
    assert [r[2] for r in await rig.rows(device)] == ["{}"]


async def test_states_are_scoped_by_tenant(rig: Rig) -> None:
    device = await rig.device(heat(REPEATING))
    node = rig.start(persist=True, fetch=True)
    assert await rig.send(node, device, 1000, 60) == []
    store = AlarmRuleStateStore(rig.base.core.db)
    other = uuid.uuid4()
    assert await store.load_many(other, rig.node_id, [device]) == {}
    assert set(await store.load_many(rig.tenant, rig.node_id, [device, other])) == {device}
    assert await store.load_all(other, rig.node_id) == {}
    assert set(await store.load_all(rig.tenant, rig.node_id)) == {device}
    await store.delete_device(other, device)
    assert len(await rig.rows(device)) == 1


async def test_device_deletion_removes_its_state(rig: Rig) -> None:
    device = await rig.device(heat(REPEATING))
    kept = await rig.device(heat(REPEATING))
    node = rig.start(persist=True, fetch=True)
    for target in (device, kept):
        assert await rig.send(node, target, 1000, 60) == []
    await rig.base.core.devices.delete(rig.base.admin, device)
    assert await rig.rows(device) == []
    assert len(await rig.rows(kept)) == 1
    deleted = Msg(
        type=MsgType.ENTITY_DELETED,
        originator=EntityRef(EntityType.DEVICE, kept),
        tenant_id=rig.tenant,
        data="{}",
        metadata={},
    )
    await node.on_msg(deleted)  # the message alone drops the rows too
    assert await rig.rows(kept) == []


async def test_alarm_cleared_while_down_restarts_the_count(rig: Rig) -> None:
    """The stored state names an alarm that is no longer active: its counters start over."""
    device = await rig.device(heat(REPEATING))
    node = rig.start(persist=True, fetch=False)
    for ts in (1000, 2000):
        assert await rig.send(node, device, ts, 60) == []
    [created] = await rig.send(node, device, 3000, 60)
    await node.destroy()
    alarm_id = uuid.UUID(orjson.loads(created.msg.data)["id"]["id"])
    await rig.base.core.alarms.service.clear_alarm(rig.tenant, alarm_id, 3500, None)
    node = rig.start(persist=True, fetch=False)
    assert await rig.send(node, device, 4000, 60) == []  # 1 of 3, not the 4th
    assert await rig.send(node, device, 5000, 60) == []
    [again] = await rig.send(node, device, 6000, 60)
    assert again.label == "Alarm Created" and again.msg.metadata["alarmConditionRepeats"] == "3"


async def test_first_messages_of_many_devices_load_together(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fleet's first messages after a restart: one batched read of their rule states and
    one of their stored counters, not a few reads per device; each device goes on counting
    from its own stored state."""
    devices = [await rig.device(heat(REPEATING)) for _ in range(5)]
    node = rig.start(persist=True, fetch=False)
    for device in devices[:3]:
        assert await rig.send(node, device, 1000, 60) == []
    node = await rig.restart(node, persist=True, fetch=False)
    loads: list[list[uuid.UUID]] = []
    state_loads: list[list[uuid.UUID]] = []
    load_many, states_load_many = AlarmRuleServices.load_many, AlarmRuleStateStore.load_many

    async def counted_load(
        self: AlarmRuleServices, tenant_id: uuid.UUID, ids: list[uuid.UUID]
    ) -> Any:
        loads.append(list(ids))
        return await load_many(self, tenant_id, ids)

    async def counted_states(
        self: AlarmRuleStateStore, tenant_id: uuid.UUID, node_id: uuid.UUID, ids: Any
    ) -> Any:
        state_loads.append(list(ids))
        return await states_load_many(self, tenant_id, node_id, ids)

    monkeypatch.setattr(AlarmRuleServices, "load_many", counted_load)
    monkeypatch.setattr(AlarmRuleStateStore, "load_many", counted_states)
    outputs = await asyncio.gather(*(rig.send(node, device, 2000, 60) for device in devices))
    assert loads == [devices] and state_loads == [devices]
    assert outputs == [[], [], [], [], []]  # counts: 2, 2, 2, 1, 1
    later = await asyncio.gather(*(rig.send(node, device, 3000, 60) for device in devices))
    assert [[e.label for e in emits] for emits in later] == [["Alarm Created"]] * 3 + [[]] * 2
    assert loads == [devices]  # held in memory since


async def test_a_queue_partition_that_moves_takes_its_devices_state_along(rig: Rig) -> None:
    """(JetStream) A node that gives a partition up stops evaluating its devices, and one that
    gets it back goes on from what the other node stored, not from what it held before."""
    moving = await rig.device(heat(DURATION))
    staying = await rig.device(heat(DURATION))
    count = next(n for n in range(2, 64) if partition_for(moving, n) != partition_for(staying, n))
    node = rig.start(persist=True, fetch=False)
    assert await rig.send(node, moving, 1_000, 60) == []
    assert await rig.send(node, staying, 1_000, 60) == []
    node.ctx.alarms().partition_moved(partition_for(moving, count), count)
    [only] = await node.check_timers(now=6_001)  # the other node owns `moving` now
    assert only.msg.originator.id == staying

    other = rig.start(persist=True, fetch=False)  # the other node: it clears the condition
    assert await rig.send(other, moving, 3_000, 20) == []
    node.ctx.alarms().partition_moved(partition_for(moving, count), count)  # and back
    # counted from 7,000 (held since 1,000, it would raise the alarm now)
    assert await rig.send(node, moving, 7_000, 60) == []
    assert moving not in [e.msg.originator.id for e in await node.check_timers(now=11_000)]
    assert moving in [e.msg.originator.id for e in await node.check_timers(now=12_001)]
