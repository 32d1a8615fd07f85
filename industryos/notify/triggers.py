"""Rules: platform events matched against a tenant's enabled notification rules.

ALARM rules match alarm type, severity and ``notifyOn`` (CREATED, SEVERITY_CHANGED,
ACKNOWLEDGED, CLEARED) and send to the targets of their ``escalationTable`` (key = delay
in seconds); ENTITY_ACTION rules match entity type and created/updated/deleted;
DEVICE_ACTIVITY rules match devices or device profiles and ACTIVE/INACTIVE. Each match
becomes one request through the center. A failing rule is logged and never breaks the
alarm or the message that triggered it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from industryos.alarms.model import Alarm
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.errors import EntityError, NotFound
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.msg import Msg, MsgType
from industryos.notify.catalog import TEMPLATES
from industryos.notify.center import NotificationCenter, SendSpec
from industryos.notify.enums import AlarmAction, NotificationType
from industryos.notify.targets import Audience

__all__ = ["Triggers", "alarm_context"]

log = logging.getLogger(__name__)

Json = dict[str, Any]

_ACTION_TEXT = {
    AlarmAction.CREATED: "created",
    AlarmAction.SEVERITY_CHANGED: "severity changed",
    AlarmAction.ACKNOWLEDGED: "acknowledged",
    AlarmAction.CLEARED: "cleared",
}

_ENTITY_ACTIONS = {
    MsgType.ENTITY_CREATED.value: ("created", "added"),
    MsgType.ENTITY_UPDATED.value: ("updated", "updated"),
    MsgType.ENTITY_DELETED.value: ("deleted", "deleted"),
}

_ACTIVITY = {MsgType.ACTIVITY_EVENT.value: "ACTIVE", MsgType.INACTIVITY_EVENT.value: "INACTIVE"}


def alarm_context(alarm: Alarm, action: AlarmAction, name: str, label: str = "") -> dict[str, str]:
    """Placeholders of an alarm notification (platform-api §7)."""
    return {
        "alarmType": alarm.type,
        "action": _ACTION_TEXT[action],
        "alarmId": str(alarm.id),
        "alarmSeverity": alarm.severity.value.lower(),
        "alarmStatus": alarm.status.value,
        "alarmOriginatorEntityType": alarm.originator.entity_type.value,
        "alarmOriginatorName": name,
        "alarmOriginatorLabel": label or name,
        "alarmOriginatorId": str(alarm.originator.id),
    }


def _strings(config: Mapping[str, Any], key: str) -> set[str]:
    value = config.get(key) or []
    return {str(v) for v in value} if isinstance(value, list) else set()


def _ids(values: Any) -> list[uuid.UUID]:
    found = []
    for value in values if isinstance(values, list) else []:
        raw = value.get("id") if isinstance(value, Mapping) else value
        try:
            found.append(uuid.UUID(str(raw)))
        except ValueError:
            continue
    return found


class Triggers:
    """Turns platform events into notification requests."""

    def __init__(self, center: NotificationCenter, lookup: EntityLookup) -> None:
        self._center = center
        self._lookup = lookup

    async def _fire(
        self,
        rule: Json,
        tenant_id: uuid.UUID,
        targets: list[uuid.UUID],
        context: dict[str, str],
        audience: Audience,
        originator: tuple[EntityType, uuid.UUID] | None,
        delay_s: int = 0,
    ) -> None:
        template_id = _ids([rule.get("templateId")])
        rule_id = _ids([rule.get("id")])
        if not template_id or not targets:
            return
        try:
            template = await self._center.catalog.get(TEMPLATES, tenant_id, template_id[0])
            await self._center.send(
                SendSpec(
                    tenant_id=tenant_id,
                    target_ids=targets,
                    template=template,
                    template_id=template_id[0],
                    context=context,
                    audience=audience,
                    rule_id=rule_id[0] if rule_id else None,
                    originator=originator,
                    delay_s=delay_s,
                )
            )
        except EntityError as exc:
            log.warning("notification rule %s cannot send: %s", rule.get("name"), exc)

    async def on_alarm(self, alarm: Alarm, action: AlarmAction) -> None:
        """An alarm was created, escalated, acknowledged or cleared."""
        try:
            await self._on_alarm(alarm, action)
        except Exception:
            log.exception("alarm notification rules failed")

    async def _on_alarm(self, alarm: Alarm, action: AlarmAction) -> None:
        rules = await self._center.catalog.enabled_rules(alarm.tenant_id, NotificationType.ALARM)
        if not rules:
            return
        try:
            owner = await self._lookup.owner(alarm.originator.entity_type, alarm.originator.id)
            name = owner.name
        except (NotFound, EntityError):
            name = str(alarm.originator.id)
        context = alarm_context(alarm, action, name)
        audience = Audience(alarm.tenant_id, alarm.customer_id or NULL_UUID, alarm.assignee_id)
        origin = (alarm.originator.entity_type, alarm.originator.id)
        for rule in rules:
            config = rule.get("triggerConfig") or {}
            types = _strings(config, "alarmTypes")
            severities = _strings(config, "alarmSeverities")
            notify_on = _strings(config, "notifyOn") or {AlarmAction.CREATED.value}
            if types and alarm.type not in types:
                continue
            if severities and alarm.severity.value not in severities:
                continue
            if action.value not in notify_on:
                continue
            recipients = rule.get("recipientsConfig") or {}
            table = recipients.get("escalationTable")
            if not isinstance(table, Mapping):
                table = {"0": recipients.get("targets") or []}
            for delay, targets in table.items():
                delay_s = int(delay) if str(delay).isdigit() else 0
                await self._fire(
                    rule, alarm.tenant_id, _ids(targets), context, audience, origin, delay_s
                )

    async def on_msg(self, msg: Msg) -> None:
        """Entity lifecycle and device activity messages (what services publish)."""
        try:
            if msg.type in _ENTITY_ACTIONS:
                await self._entity_action(msg)
            elif msg.type in _ACTIVITY:
                await self._activity(msg)
        except Exception:
            log.exception("notification rules failed for %s", msg.type)

    def _msg_context(self, msg: Msg) -> dict[str, str]:
        return {
            **msg.metadata,
            "entityType": msg.originator.entity_type.value,
            "entityId": str(msg.originator.id),
            "entityName": msg.metadata.get("deviceName") or msg.metadata.get("entityName") or "",
            "userEmail": msg.metadata.get("userName", ""),
        }

    async def _entity_action(self, msg: Msg) -> None:
        rules = await self._center.catalog.enabled_rules(
            msg.tenant_id, NotificationType.ENTITY_ACTION
        )
        flag, action = _ENTITY_ACTIONS[msg.type]
        for rule in rules:
            config = rule.get("triggerConfig") or {}
            types = _strings(config, "entityTypes")
            if types and msg.originator.entity_type.value not in types:
                continue
            if not config.get(flag, False):
                continue
            context = {**self._msg_context(msg), "actionType": action}
            await self._send_rule(rule, msg, context)

    async def _activity(self, msg: Msg) -> None:
        rules = await self._center.catalog.enabled_rules(
            msg.tenant_id, NotificationType.DEVICE_ACTIVITY
        )
        event = _ACTIVITY[msg.type]
        for rule in rules:
            config = rule.get("triggerConfig") or {}
            if event not in (_strings(config, "notifyOn") or set(_ACTIVITY.values())):
                continue
            devices = {str(i) for i in _ids(config.get("devices"))}
            profiles = {str(i) for i in _ids(config.get("deviceProfiles"))}
            if devices and str(msg.originator.id) not in devices:
                continue
            if profiles and msg.metadata.get("deviceProfileId", "") not in profiles:
                continue
            context = {**self._msg_context(msg), "eventType": event.lower()}
            await self._send_rule(rule, msg, context)

    async def _send_rule(self, rule: Json, msg: Msg, context: dict[str, str]) -> None:
        recipients = rule.get("recipientsConfig") or {}
        await self._fire(
            rule,
            msg.tenant_id,
            _ids(recipients.get("targets")),
            context,
            Audience(msg.tenant_id, msg.customer_id),
            (msg.originator.entity_type, msg.originator.id),
        )
