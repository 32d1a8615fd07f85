"""Alarm nodes of rule chains (spec §6.3): create alarm, clear alarm, alarm status filter.

Create and clear look up the active alarm of the originator and the configured type (one
indexed read), or, when the originator *is* an alarm, act on that alarm. Their output is an
``ALARM`` message whose data is the alarm JSON; the message keeps its originator, so a chain
continues about the same entity. The details script receives the previous details as
``metadata.prevAlarmDetails`` (JSON text), as ThingsBoard's does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from industryos.alarms.enums import AlarmMsgType, AlarmSeverity, AlarmStatus
from industryos.alarms.model import Alarm
from industryos.alarms.service import AlarmService
from industryos.entities.ids import EntityType, now_ms
from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NodeFailure, ScriptError
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
from industryos.rules.nodes.filter import js_type, script_body
from industryos.rules.nodes.templates import body_of, fill, json_text
from industryos.rules.scripts.engine import Script

__all__ = ["CheckAlarmStatusNode", "ClearAlarmNode", "CreateAlarmNode"]

PREFIX = "org.thingsboard.rule.engine."

CREATED = "Created"
UPDATED = "Updated"
CLEARED = "Cleared"

DETAILS_SCRIPT = (
    "var details = {};\n"
    "if (metadata.prevAlarmDetails) {\n"
    "    details = JSON.parse(metadata.prevAlarmDetails);\n"
    "    delete metadata.prevAlarmDetails;\n"
    "}\n"
    "return details;"
)
"""ThingsBoard's default details script: keep the previous details."""

Json = dict[str, Any]


class _AlarmNode(RuleNode):
    """What create and clear share: the alarm type, the details script, the alarm lookup."""

    requires = frozenset({Service.ALARMS, Service.SCRIPTS})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._type_template = config.text("alarmType", "General Alarm") or "General Alarm"
        body = script_body(config, "alarmDetailsBuildJs", "alarmDetailsBuildTbel")
        self._script: Script | None = ctx.scripts().compile(body) if body.strip() else None

    def _service(self) -> AlarmService:
        return self.ctx.alarms().alarms

    async def _target(self, msg: Msg, alarm_type: str) -> tuple[Alarm | None, bool]:
        """``(alarm, originator_is_alarm)``: the alarm the message is about, if any."""
        service = self._service()
        if msg.originator.entity_type is EntityType.ALARM:
            return await service.get_in_tenant(msg.tenant_id, msg.originator.id), True
        return await service.find_active(msg.tenant_id, msg.originator.id, alarm_type), False

    async def _details(self, msg: Msg, previous: Alarm | None) -> Any:
        """The details script's object (previous details when there is no script)."""
        prev = previous.details if previous is not None else None
        if self._script is None:
            return prev if prev is not None else {}
        metadata = dict(msg.metadata)
        if prev is not None:
            metadata["prevAlarmDetails"] = json_text(prev)
        result = await self._script.invoke(msg.data, metadata, msg.type)
        if not isinstance(result, dict):
            reason = f"Wrong result type: {js_type(result)} (expected object)"
            self._script.failed(reason)
            raise ScriptError(reason)
        return result


@dataclass(frozen=True, slots=True)
class _MessageAlarm:
    """The alarm fields a message carries when ``useMessageAlarmData`` is set."""

    type: str
    severity: AlarmSeverity
    start_ts: int
    end_ts: int
    details: Any
    propagate: bool
    propagate_to_owner: bool
    propagate_to_tenant: bool
    propagate_relation_types: tuple[str, ...]


def _out(msg: Msg, alarm: Alarm, flags: dict[str, str]) -> Msg:
    """The ALARM message a node emits: same originator, alarm JSON, flags added."""
    return msg.with_changes(
        type=str(AlarmMsgType.ALARM),
        data=orjson.dumps(alarm.to_wire()).decode(),
        metadata={**msg.metadata, **flags},
    )


class CreateAlarmNode(_AlarmNode):
    """Creates an alarm, or updates the originator's active alarm of the same type."""

    clazz = PREFIX + "action.TbCreateAlarmNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "create alarm",
        "Create or update an alarm",
        relation_types=(CREATED, UPDATED, Label.FALSE, Label.FAILURE),
        default_configuration={
            "alarmType": "General Alarm",
            "severity": "CRITICAL",
            "propagate": False,
            "propagateToOwner": False,
            "propagateToTenant": False,
            "relationTypes": [],
            "useMessageAlarmData": False,
            "overwriteAlarmDetails": False,
            "dynamicSeverity": False,
            "scriptLang": "TBEL",
            "alarmDetailsBuildJs": DETAILS_SCRIPT,
            "alarmDetailsBuildTbel": DETAILS_SCRIPT,
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._severity = config.text("severity", "CRITICAL") or "CRITICAL"
        self._propagate = config.flag("propagate")
        self._to_owner = config.flag("propagateToOwner")
        self._to_tenant = config.flag("propagateToTenant")
        self._relation_types = tuple(config.str_list("relationTypes"))
        self._from_message = config.flag("useMessageAlarmData")
        self._overwrite_details = config.flag("overwriteAlarmDetails")

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """``Created`` or ``Updated`` with the alarm; ``False`` when the alarm is gone."""
        body = body_of(msg)
        template = self._from_message_alarm(body) if self._from_message else None
        alarm_type = template.type if template else fill(self._type_template, msg, body)
        found, on_alarm = await self._target(msg, alarm_type)
        if on_alarm and found is None:
            return [Emit(Label.FALSE, msg)]
        if found is not None and found.cleared:
            if on_alarm:
                return [Emit(Label.FALSE, msg)]
            found = None
        details = await self._details(msg, found)
        if template is not None and not self._overwrite_details and template.details is not None:
            details = template.details
        severity = template.severity if template else self._severity_of(msg, body)
        now = now_ms()
        origin = found.originator if on_alarm and found is not None else msg.originator
        alarm = Alarm(
            tenant_id=msg.tenant_id,
            customer_id=found.customer_id if found is not None else msg.customer_id,
            originator=origin,
            type=found.type if on_alarm and found is not None else alarm_type,
            severity=severity,
            start_ts=template.start_ts if template else now,
            end_ts=template.end_ts if template else now,
            details=details,
            propagate=template.propagate if template else self._propagate,
            propagate_to_owner=template.propagate_to_owner if template else self._to_owner,
            propagate_to_tenant=template.propagate_to_tenant if template else self._to_tenant,
            propagate_relation_types=(
                template.propagate_relation_types if template else self._relation_types
            ),
        )
        change = await self._service().raise_alarm(alarm)
        if change.created:
            return [Emit(CREATED, _out(msg, change.alarm, {"isNewAlarm": "true"}))]
        flags = {"isExistingAlarm": "true"}
        if change.severity_changed:
            flags["isSeverityUpdated"] = "true"
        return [Emit(UPDATED, _out(msg, change.alarm, flags))]

    def _severity_of(self, msg: Msg, body: Any) -> AlarmSeverity:
        value = fill(self._severity, msg, body)
        try:
            return AlarmSeverity(value)
        except ValueError:
            raise NodeFailure(
                f"Used incorrect pattern or Alarm Severity not included: {value}"
            ) from None

    def _from_message_alarm(self, body: Any) -> _MessageAlarm:
        """``useMessageAlarmData``: the alarm fields come from the message's alarm JSON."""
        if not isinstance(body, dict):
            raise NodeFailure("Message data is not an alarm JSON object")
        try:
            severity = AlarmSeverity(body.get("severity") or AlarmSeverity.CRITICAL)
            alarm_type = body["type"]
        except (KeyError, ValueError):
            raise NodeFailure("Message alarm data needs a type and a valid severity") from None
        if not isinstance(alarm_type, str) or not alarm_type:
            raise NodeFailure("Message alarm data needs a type")
        start = int(body.get("startTs") or now_ms())
        return _MessageAlarm(
            type=alarm_type,
            severity=severity,
            start_ts=start,
            end_ts=int(body.get("endTs") or start),
            details=body.get("details"),
            propagate=bool(body.get("propagate")),
            propagate_to_owner=bool(body.get("propagateToOwner")),
            propagate_to_tenant=bool(body.get("propagateToTenant")),
            propagate_relation_types=tuple(
                str(t) for t in body.get("propagateRelationTypes") or ()
            ),
        )


class ClearAlarmNode(_AlarmNode):
    """Clears the originator's active alarm of the type (or the alarm that is the originator)."""

    clazz = PREFIX + "action.TbClearAlarmNode"
    descriptor = Descriptor(
        ComponentType.ACTION,
        "clear alarm",
        "Clear an existing alarm",
        relation_types=(CLEARED, Label.FALSE, Label.FAILURE),
        default_configuration={
            "alarmType": "General Alarm",
            "scriptLang": "TBEL",
            "alarmDetailsBuildJs": DETAILS_SCRIPT,
            "alarmDetailsBuildTbel": DETAILS_SCRIPT,
        },
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """``Cleared`` with the cleared alarm, or ``False`` when nothing was active."""
        alarm_type = fill(self._type_template, msg)
        found, _ = await self._target(msg, alarm_type)
        if found is None or found.cleared:
            return [Emit(Label.FALSE, msg)]
        details = await self._details(msg, found)
        cleared = await self._service().clear_alarm(msg.tenant_id, found.id, now_ms(), details)
        if cleared is None:  # cleared meanwhile by someone else
            return [Emit(Label.FALSE, msg)]
        return [Emit(CLEARED, _out(msg, cleared, {"isClearedAlarm": "true"}))]


class CheckAlarmStatusNode(RuleNode):
    """``True`` when the alarm of an alarm message currently has one of the listed statuses."""

    clazz = PREFIX + "filter.TbCheckAlarmStatusNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "alarm status filter",
        "Checks alarm status",
        relation_types=(Label.TRUE, Label.FALSE, Label.FAILURE),
        default_configuration={"alarmStatusList": ["ACTIVE_ACK", "ACTIVE_UNACK"]},
    )
    requires = frozenset({Service.ALARMS})

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        names = config.str_list("alarmStatusList")
        try:
            self._statuses = frozenset(AlarmStatus(n) for n in names)
        except ValueError:
            known = ", ".join(AlarmStatus)
            raise NodeConfigError(f"{self.clazz}: alarmStatusList items must be {known}") from None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Reads the alarm's current status (the message may be older than the alarm)."""
        body = body_of(msg)
        try:
            alarm_id = uuid.UUID(str(body["id"]["id"]))
        except (KeyError, TypeError, ValueError):
            raise NodeFailure("Message data is not an alarm (no id.id)") from None
        alarm = await self.ctx.alarms().alarms.get_in_tenant(msg.tenant_id, alarm_id)
        if alarm is None:
            raise NodeFailure(f"Alarm {alarm_id} not found")
        label = Label.TRUE if alarm.status in self._statuses else Label.FALSE
        return [Emit(label, msg)]


NODES: tuple[type[RuleNode], ...] = (CreateAlarmNode, ClearAlarmNode, CheckAlarmStatusNode)
