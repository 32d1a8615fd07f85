"""Create alarm, clear alarm and alarm status filter nodes (spec §6.3) over real alarms."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.alarms.enums import AlarmStatus
from industryos.alarms.rules.loader import AlarmRuleServices
from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes import node_class
from industryos.rules.nodes.alarm import CheckAlarmStatusNode, ClearAlarmNode, CreateAlarmNode
from industryos.rules.nodes.base import Emit, NodeConfig, NodeContext, RuleNode, ServiceSet
from industryos.rules.scripts.engine import ScriptEngine, ScriptLimits
from tests.support.core import CoreWithTenant, core_with_tenant

COUNTING_DETAILS = (
    "var details = {count: 1};\n"
    "if (metadata.prevAlarmDetails) {\n"
    "  details.count = JSON.parse(metadata.prevAlarmDetails).count + 1;\n"
    "}\n"
    "details.temp = msg.temperature;\n"
    "return details;"
)


@dataclass
class Env:
    base: CoreWithTenant
    services: ServiceSet

    @property
    def tenant(self) -> uuid.UUID:
        return self.base.admin.tenant_id

    def build(self, cls: type[RuleNode], **config: Any) -> RuleNode:
        async def emit_later(emits: Sequence[Emit]) -> None:
            raise AssertionError("alarm nodes never emit on their own")

        ctx = NodeContext(
            uuid.uuid4(), "n", self.tenant, uuid.uuid4(), cls.requires, self.services, emit_later
        )
        return cls(NodeConfig(cls.clazz, config), ctx)

    def msg(self, originator: EntityRef, data: Any, **metadata: str) -> Msg:
        return Msg(
            type=MsgType.POST_TELEMETRY_REQUEST,
            originator=originator,
            tenant_id=self.tenant,
            data=orjson.dumps(data).decode(),
            metadata={"deviceName": "d", **metadata},
        )


@pytest.fixture
async def env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Env]:
    base = await core_with_tenant(engine, tmp_path)
    scripts = ScriptEngine(ScriptLimits(timeout_s=2.0, max_errors=0))
    core = base.core
    services = ServiceSet(
        alarms=AlarmRuleServices(core.db, core.alarms.service, core.telemetry),
        scripts=scripts.for_node,
    )
    yield Env(base, services)
    scripts.close()
    await base.close()


def _device() -> EntityRef:
    return EntityRef(EntityType.DEVICE, uuid.uuid4())


def _alarm(emit: Emit) -> dict[str, Any]:
    assert emit.msg.type == "ALARM"
    data: dict[str, Any] = orjson.loads(emit.msg.data)
    return data


def test_nodes_are_in_the_node_table() -> None:
    prefix = "org.thingsboard.rule.engine."
    assert node_class(prefix + "action.TbCreateAlarmNode") is CreateAlarmNode
    assert node_class(prefix + "action.TbClearAlarmNode") is ClearAlarmNode
    assert node_class(prefix + "filter.TbCheckAlarmStatusNode") is CheckAlarmStatusNode


async def test_create_then_update_keeps_id_and_runs_details_script(env: Env) -> None:
    node = env.build(
        CreateAlarmNode,
        alarmType="${kind} alarm",
        severity="MAJOR",
        scriptLang="JS",
        alarmDetailsBuildJs=COUNTING_DETAILS,
    )
    device = _device()
    [first] = await node.on_msg(env.msg(device, {"temperature": 60}, kind="Heat"))
    assert first.label == "Created" and first.msg.metadata["isNewAlarm"] == "true"
    assert first.msg.originator == device and first.msg.metadata["deviceName"] == "d"
    created = _alarm(first)
    assert created["type"] == "Heat alarm" and created["severity"] == "MAJOR"
    assert created["status"] == "ACTIVE_UNACK"
    assert created["details"] == {"count": 1, "temp": 60}
    [second] = await node.on_msg(env.msg(device, {"temperature": 65}, kind="Heat"))
    assert second.label == "Updated" and second.msg.metadata["isExistingAlarm"] == "true"
    assert "isSeverityUpdated" not in second.msg.metadata
    updated = _alarm(second)
    assert updated["id"] == created["id"]
    assert updated["details"] == {"count": 2, "temp": 65}
    other_type = await node.on_msg(env.msg(device, {"temperature": 1}, kind="Cold"))
    assert other_type[0].label == "Created" and _alarm(other_type[0])["id"] != created["id"]


async def test_dynamic_severity_escalates_and_bad_severity_fails(env: Env) -> None:
    node = env.build(CreateAlarmNode, alarmType="Level", severity="${sev}", dynamicSeverity=True)
    device = _device()
    [first] = await node.on_msg(env.msg(device, {}, sev="MINOR"))
    assert _alarm(first)["severity"] == "MINOR" and _alarm(first)["details"] == {}
    [second] = await node.on_msg(env.msg(device, {}, sev="CRITICAL"))
    assert second.label == "Updated"
    assert second.msg.metadata["isSeverityUpdated"] == "true"
    assert _alarm(second)["severity"] == "CRITICAL"
    with pytest.raises(NodeFailure):
        await node.on_msg(env.msg(device, {}, sev="LOUD"))


async def test_message_alarm_data_is_used(env: Env) -> None:
    node = env.build(CreateAlarmNode, useMessageAlarmData=True, scriptLang="JS")
    body = {"type": "From message", "severity": "WARNING", "details": {"x": 1}, "propagate": True}
    [emit] = await node.on_msg(env.msg(_device(), body))
    alarm = _alarm(emit)
    assert emit.label == "Created"
    assert (alarm["type"], alarm["severity"], alarm["propagate"]) == (
        "From message",
        "WARNING",
        True,
    )
    assert alarm["details"] == {"x": 1}


async def test_clear_clears_the_active_alarm_once(env: Env) -> None:
    create = env.build(CreateAlarmNode, alarmType="Heat", severity="CRITICAL")
    clear = env.build(
        ClearAlarmNode,
        alarmType="Heat",
        scriptLang="JS",
        alarmDetailsBuildJs="return {cleared: true, was: JSON.parse(metadata.prevAlarmDetails)};",
    )
    device = _device()
    assert (await clear.on_msg(env.msg(device, {})))[0].label == "False"  # nothing active
    [created] = await create.on_msg(env.msg(device, {}))
    [cleared] = await clear.on_msg(env.msg(device, {}))
    assert cleared.label == "Cleared" and cleared.msg.metadata["isClearedAlarm"] == "true"
    alarm = _alarm(cleared)
    assert alarm["id"] == _alarm(created)["id"] and alarm["status"] == "CLEARED_UNACK"
    assert alarm["clearTs"] > 0 and alarm["details"] == {"cleared": True, "was": {}}
    assert (await clear.on_msg(env.msg(device, {})))[0].label == "False"
    [again] = await create.on_msg(env.msg(device, {}))
    assert again.label == "Created" and _alarm(again)["id"] != alarm["id"]


async def test_alarm_originator_is_acted_on(env: Env) -> None:
    create = env.build(CreateAlarmNode, alarmType="Heat", severity="MINOR")
    device = _device()
    [created] = await create.on_msg(env.msg(device, {}))
    alarm_id = uuid.UUID(_alarm(created)["id"]["id"])
    about_alarm = EntityRef(EntityType.ALARM, alarm_id)
    escalate = env.build(CreateAlarmNode, alarmType="ignored", severity="MAJOR")
    [updated] = await escalate.on_msg(env.msg(about_alarm, {}))
    assert updated.label == "Updated"
    assert _alarm(updated)["id"]["id"] == str(alarm_id)
    assert _alarm(updated)["type"] == "Heat" and _alarm(updated)["severity"] == "MAJOR"
    clear = env.build(ClearAlarmNode, alarmType="ignored")
    [cleared] = await clear.on_msg(env.msg(about_alarm, {}))
    assert cleared.label == "Cleared" and _alarm(cleared)["id"]["id"] == str(alarm_id)
    assert (await escalate.on_msg(env.msg(about_alarm, {})))[0].label == "False"
    missing = EntityRef(EntityType.ALARM, uuid.uuid4())
    assert (await clear.on_msg(env.msg(missing, {})))[0].label == "False"


async def test_check_alarm_status_reads_the_current_status(env: Env) -> None:
    create = env.build(CreateAlarmNode, alarmType="Heat")
    check = env.build(CheckAlarmStatusNode, alarmStatusList=["ACTIVE_UNACK", "ACTIVE_ACK"])
    device = _device()
    [created] = await create.on_msg(env.msg(device, {}))
    assert (await check.on_msg(created.msg))[0].label == "True"
    alarm_id = uuid.UUID(_alarm(created)["id"]["id"])
    await env.base.core.alarms.service.clear(env.base.admin, alarm_id)
    [after] = await check.on_msg(created.msg)  # the message still says ACTIVE_UNACK
    assert after.label == "False"
    cleared_only = env.build(CheckAlarmStatusNode, alarmStatusList=[AlarmStatus.CLEARED_UNACK])
    assert (await cleared_only.on_msg(created.msg))[0].label == "True"
    with pytest.raises(NodeFailure):
        await check.on_msg(env.msg(device, {"temperature": 1}))
    with pytest.raises(NodeConfigError):
        env.build(CheckAlarmStatusNode, alarmStatusList=["SLEEPING"])
