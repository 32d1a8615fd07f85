"""Device-profile alarm rules through the device profile node, over real alarms and attributes:
severity escalation (checklist 32), REPEATING and DURATION (34), dynamic thresholds with
inheritance (35) and SPECIFIC_TIME schedules (36), on both engines."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.alarms.rules.snapshot import Snapshot
from industryos.entities.ids import EntityType
from industryos.entities.models import Customer
from industryos.msg import EntityRef, Msg, MsgType
from industryos.rules.nodes.base import Emit, NodeConfig, NodeContext, ServiceSet
from industryos.rules.nodes.profile import DeviceProfileNode
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry
from tests.support.core import CoreWithTenant, core_with_tenant

Json = dict[str, Any]
SERVER = AttributeScope.SERVER_SCOPE


def greater(key: str, default: float, dynamic: Json | None = None) -> Json:
    """A NUMERIC GREATER filter on a time-series key."""
    return {
        "key": {"type": "TIME_SERIES", "key": key},
        "valueType": "NUMERIC",
        "predicate": {
            "type": "NUMERIC",
            "operation": "GREATER",
            "value": {"defaultValue": default, "userValue": None, "dynamicValue": dynamic},
        },
    }


def rule(filters: list[Json], spec: Json | None = None, schedule: Json | None = None) -> Json:
    """One create or clear rule."""
    return {
        "condition": {"condition": filters, "spec": spec or {"type": "SIMPLE"}},
        "schedule": schedule,
        "alarmDetails": None,
    }


def definition(create: dict[str, Json], clear: Json | None = None) -> Json:
    """An alarm definition of type ``Heat``."""
    return {"id": "heat", "alarmType": "Heat", "createRules": create, "clearRule": clear}


@dataclass
class Env:
    base: CoreWithTenant
    node: DeviceProfileNode

    @property
    def tenant(self) -> uuid.UUID:
        return self.base.admin.tenant_id

    async def device(self, alarm: Json, customer_id: uuid.UUID | None = None) -> uuid.UUID:
        device = await self.base.device_with_alarms([alarm])
        if customer_id is not None:
            await self.base.core.devices.assign_to_customer(self.base.admin, device, customer_id)
        return device

    async def send(self, device: uuid.UUID, ts: int, **values: float) -> list[Emit]:
        """Post telemetry at ``ts``; the alarm outputs (``Success`` left out)."""
        msg = Msg(
            type=MsgType.POST_TELEMETRY_REQUEST,
            originator=EntityRef(EntityType.DEVICE, device),
            tenant_id=self.tenant,
            data=orjson.dumps(values).decode(),
            metadata={"deviceName": "d", "deviceType": "default", "ts": str(ts)},
        )
        emits = await self.node.on_msg(msg)
        assert emits[-1].label == "Success" and emits[-1].msg is msg
        return emits[:-1]

    async def attribute(self, entity: uuid.UUID, key: str, value: int) -> None:
        await self.base.core.telemetry.save_attributes(
            self.tenant, entity, SERVER, [KvEntry(key, value, DataType.LONG)]
        )


@pytest.fixture
async def env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Env]:
    base = await core_with_tenant(engine, tmp_path)
    core = base.core
    services = ServiceSet(alarms=AlarmRuleServices(core.db, core.alarms.service, core.telemetry))

    async def emit_later(emits: Sequence[Emit]) -> None:
        raise AssertionError("the test drives the timer itself")

    ctx = NodeContext(
        uuid.uuid4(),
        "profile",
        base.admin.tenant_id,
        uuid.uuid4(),
        DeviceProfileNode.requires,
        services,
        emit_later,
    )
    node = DeviceProfileNode(NodeConfig(DeviceProfileNode.clazz, {}), ctx)
    yield Env(base, node)
    await node.destroy()
    await base.close()


def _alarm(emit: Emit) -> Json:
    data: Json = orjson.loads(emit.msg.data)
    return data


async def test_devices_without_rules_share_a_snapshot_nothing_writes(env: Env) -> None:
    """Devices of a profile without alarm rules keep no snapshot of their own (a fleet of
    them held ~1 KB of dicts each): their messages pass through and leave the shared one
    empty."""
    first = await env.base.device_with_alarms([])
    second = await env.base.device_with_alarms([])
    assert await env.send(first, 1000, t=50) == []
    assert await env.send(second, 1000, t=60) == []
    await env.attribute(first, "limit", 3)
    core = env.base.core
    services = AlarmRuleServices(core.db, core.alarms.service, core.telemetry)
    found = await services.load_many(env.tenant, [first, second])
    assert found[first].snapshot is found[second].snapshot
    assert found[first].snapshot == Snapshot()
    assert found[first].definitions == found[second].definitions == []


async def test_severity_escalates_and_is_kept(env: Env) -> None:
    """Checklist 32: MAJOR under an active CRITICAL keeps CRITICAL; CRITICAL escalates MAJOR."""
    device = await env.device(
        definition({"CRITICAL": rule([greater("t", 50)]), "MAJOR": rule([greater("t", 30)])})
    )
    [major] = await env.send(device, 1000, t=40)
    assert major.label == "Alarm Created" and _alarm(major)["severity"] == "MAJOR"
    [critical] = await env.send(device, 2000, t=60)
    assert critical.label == "Alarm Severity Updated"
    assert critical.msg.metadata["isSeverityUpdated"] == "true"
    assert _alarm(critical)["severity"] == "CRITICAL"
    assert _alarm(critical)["id"] == _alarm(major)["id"]
    assert await env.send(device, 3000, t=40) == []  # lower severity: no change
    stored = await env.base.core.alarms.service.find_active(env.tenant, device, "Heat")
    assert stored is not None and stored.severity == "CRITICAL"
    [again] = await env.send(device, 4000, t=70)
    assert again.label == "Alarm Updated" and _alarm(again)["id"] == _alarm(major)["id"]


async def test_repeating_fires_on_third_consecutive_match(env: Env) -> None:
    """Checklist 34: REPEATING 3, a miss resets the count."""
    spec = {"type": "REPEATING", "predicate": {"defaultValue": 3}}
    device = await env.device(definition({"CRITICAL": rule([greater("t", 50)], spec)}))
    assert await env.send(device, 1000, t=60) == []
    assert await env.send(device, 2000, t=60) == []
    assert await env.send(device, 3000, t=20) == []  # miss: start over
    assert await env.send(device, 4000, t=60) == []
    assert await env.send(device, 5000, t=60) == []
    [created] = await env.send(device, 6000, t=60)
    assert created.label == "Alarm Created"
    assert created.msg.metadata["alarmConditionRepeats"] == "3"


async def test_duration_fires_only_after_the_required_time(env: Env) -> None:
    """Checklist 34: DURATION 10 s fires once the condition held longer than 10 s."""
    spec = {"type": "DURATION", "unit": "SECONDS", "predicate": {"defaultValue": 10}}
    device = await env.device(definition({"CRITICAL": rule([greater("t", 50)], spec)}))
    assert await env.send(device, 1_000, t=60) == []
    assert await env.send(device, 8_000, t=60) == []
    assert await env.send(device, 9_000, t=20) == []  # miss: the clock restarts
    assert await env.send(device, 10_000, t=60) == []
    assert await env.send(device, 20_000, t=60) == []  # exactly 10 s: not longer
    [created] = await env.send(device, 20_001, t=60)
    assert created.label == "Alarm Created"
    assert created.msg.metadata["alarmConditionDuration"] == "10001"


async def test_duration_timer_fires_without_new_data(env: Env) -> None:
    spec = {"type": "DURATION", "unit": "SECONDS", "predicate": {"defaultValue": 5}}
    device = await env.device(definition({"MAJOR": rule([greater("t", 50)], spec)}))
    assert await env.send(device, 1_000, t=60) == []
    assert await env.node.check_timers(now=5_000) == []
    [created] = await env.node.check_timers(now=6_001)
    assert created.label == "Alarm Created" and _alarm(created)["severity"] == "MAJOR"


THRESHOLD = {"sourceType": "CURRENT_DEVICE", "sourceAttribute": "limit", "inherit": True}


async def test_device_threshold_beats_default(env: Env) -> None:
    """Checklist 35: the device's attribute wins over ``defaultValue``."""
    alarm = definition({"CRITICAL": rule([greater("t", 50, THRESHOLD)])})
    device = await env.device(alarm)
    await env.attribute(device, "limit", 70)
    assert await env.send(device, 1000, t=60) == []  # above the default, below the device's
    [created] = await env.send(device, 2000, t=75)
    assert created.label == "Alarm Created"


async def test_threshold_inherits_from_customer_then_tenant(env: Env) -> None:
    """Checklist 35: absent on the device → the customer's; absent there → the tenant's."""
    core, admin = env.base.core, env.base.admin
    alarm = definition({"CRITICAL": rule([greater("t", 50, THRESHOLD)])})
    customer = await core.customers.save(admin, Customer(title="C"))
    assert customer.id is not None
    await env.attribute(customer.id, "limit", 20)
    await env.attribute(env.tenant, "limit", 90)
    owned = await env.device(alarm, customer.id)
    [created] = await env.send(owned, 1000, t=30)  # customer's 20, not the default 50
    assert created.label == "Alarm Created"
    tenant_device = await env.device(alarm)
    assert await env.send(tenant_device, 1000, t=80) == []  # tenant's 90, not 50
    [created] = await env.send(tenant_device, 2000, t=95)
    assert created.label == "Alarm Created"
    no_inherit = definition({"CRITICAL": rule([greater("t", 50, {**THRESHOLD, "inherit": False})])})
    plain = await env.device(no_inherit, customer.id)
    assert await env.send(plain, 1000, t=30) == []  # without inherit: the default 50
    assert len(await env.send(plain, 2000, t=55)) == 1


def _utc(hour: int) -> int:
    """2024-01-03 (a Wednesday) at ``hour`` UTC, in epoch ms."""
    return int(dt.datetime(2024, 1, 3, hour, tzinfo=dt.UTC).timestamp() * 1000)


async def test_specific_time_outside_window_is_false(env: Env) -> None:
    """Checklist 36: a SPECIFIC_TIME rule is false outside its window."""
    hour = 3_600_000
    schedule = {
        "type": "SPECIFIC_TIME",
        "timezone": "UTC",
        "daysOfWeek": [1, 2, 3, 4, 5],
        "startsOn": 9 * hour,
        "endsOn": 17 * hour,
    }
    device = await env.device(definition({"CRITICAL": rule([greater("t", 50)], None, schedule)}))
    assert await env.send(device, _utc(3), t=60) == []  # before the window
    assert await env.send(device, _utc(18), t=60) == []  # after it
    weekend = _utc(10) + 3 * 24 * hour  # Saturday 10:00
    assert await env.send(device, weekend, t=60) == []
    [created] = await env.send(device, _utc(10), t=60)
    assert created.label == "Alarm Created"


def less(key: str, value: float) -> Json:
    """A NUMERIC LESS filter on a time-series key."""
    found = greater(key, value)
    found["predicate"]["operation"] = "LESS"
    return found


async def test_simple_create_update_then_clear_rule_and_a_new_alarm(env: Env) -> None:
    """Checklist 31 and 33 through the profile node: Created, Updated (same id), Cleared."""
    device = await env.device(
        definition({"CRITICAL": rule([greater("t", 50)])}, clear=rule([less("t", 30)]))
    )
    (created,) = await env.send(device, 1000, t=60)
    assert created.label == "Alarm Created"
    assert _alarm(created)["status"] == "ACTIVE_UNACK"
    assert created.msg.metadata.get("isNewAlarm") == "true"
    (updated,) = await env.send(device, 2000, t=61)
    assert updated.label == "Alarm Updated"
    assert _alarm(updated)["id"] == _alarm(created)["id"]
    assert await env.send(device, 3000, t=40) == []  # neither rule holds
    (cleared,) = await env.send(device, 4000, t=20)
    assert cleared.label == "Alarm Cleared"
    alarm = _alarm(cleared)
    assert alarm["status"] == "CLEARED_UNACK" and alarm["clearTs"] > 0
    assert alarm["id"] == _alarm(created)["id"]
    assert cleared.msg.metadata.get("isClearedAlarm") == "true"
    assert await env.send(device, 4500, t=10) == []  # nothing left to clear
    (again,) = await env.send(device, 5000, t=70)
    assert again.label == "Alarm Created"
    assert _alarm(again)["id"] != _alarm(created)["id"]


async def test_a_profile_change_reaches_every_profile_node(env: Env) -> None:
    """Saved alarm rules apply from the next message on, in every device profile node that
    holds the device (every chain, every tenant's rule engine), whether the change comes from
    the profile service or as a DEVICE_PROFILE ENTITY_UPDATED message through one node."""
    services = env.node.ctx.alarms()
    other = DeviceProfileNode(NodeConfig(DeviceProfileNode.clazz, {}), env.node.ctx)
    try:
        device = await env.device(definition({"CRITICAL": rule([greater("t", 50)])}))
        assert await env.send(device, 1000, t=40) == []  # both nodes now hold the device
        [loaded] = await other.on_msg(_telemetry(env, device, 1000, t=40))
        assert loaded.label == "Success"
        profiles = env.base.core.device_profiles
        stored = await env.base.core.devices.get(env.base.admin, device)
        assert stored.device_profile_id is not None
        profile = await profiles.get(env.base.admin, stored.device_profile_id)
        lower = definition({"CRITICAL": rule([greater("t", 30)])})
        saved = await profiles.save(
            env.base.admin,
            profile.model_copy(
                update={"profile_data": {**profile.profile_data, "alarms": [lower]}}
            ),
        )
        assert saved.id is not None
        services.profile_changed(saved.id)  # what the node wires to the profile service
        [created] = await env.send(device, 2000, t=40)
        assert created.label == "Alarm Created"
        [updated, _] = await other.on_msg(_telemetry(env, device, 2000, t=40))
        assert updated.label == "Alarm Updated"
        # back to 50, announced as a message through one node only
        await profiles.save(env.base.admin, profile.model_copy(update={"version": saved.version}))
        announced = Msg(
            type=MsgType.ENTITY_UPDATED,
            originator=EntityRef(EntityType.DEVICE_PROFILE, saved.id),
            tenant_id=env.tenant,
        )
        await env.node.on_msg(announced)
        [only_success] = await other.on_msg(_telemetry(env, device, 3000, t=40))
        assert only_success.label == "Success"  # 40 no longer breaches: no Alarm Updated
    finally:
        await other.destroy()


def _telemetry(env: Env, device: uuid.UUID, ts: int, **values: float) -> Msg:
    return Msg(
        type=MsgType.POST_TELEMETRY_REQUEST,
        originator=EntityRef(EntityType.DEVICE, device),
        tenant_id=env.tenant,
        data=orjson.dumps(values).decode(),
        metadata={"deviceName": "d", "deviceType": "default", "ts": str(ts)},
    )
