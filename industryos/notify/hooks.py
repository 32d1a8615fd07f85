"""Where platform events reach the triggers, without the alarm or entity code knowing.

:class:`NotifyingAlarmService` is the alarm service with its rule-engine API
(``raise_alarm``/``clear_alarm``, used by the device profile and alarm nodes) reporting to
the triggers; :class:`TriggerPublisher` wraps the services' rule-engine publisher and
hands entity lifecycle, activity and REST alarm messages (ack, clear) to the triggers
after they are durably queued. The node wires both.
"""

from __future__ import annotations

import uuid

import orjson

from industryos.alarms.enums import AlarmMsgType
from industryos.alarms.model import Alarm, alarm_from_wire
from industryos.alarms.service import AlarmChange, AlarmService
from industryos.entities.errors import EntityError
from industryos.entities.events import MsgPublisher
from industryos.msg import Msg
from industryos.notify.enums import AlarmAction
from industryos.notify.triggers import Triggers

__all__ = ["NotifyingAlarmService", "TriggerPublisher"]

_REST_ALARM_ACTIONS = {
    AlarmMsgType.ALARM_ACK.value: AlarmAction.ACKNOWLEDGED,
    AlarmMsgType.ALARM_CLEAR.value: AlarmAction.CLEARED,
}


class NotifyingAlarmService(AlarmService):
    """The alarm service, telling the triggers what the rule engine did to alarms."""

    triggers: Triggers | None = None
    """Set by the node once the notification center exists."""

    async def raise_alarm(self, alarm: Alarm) -> AlarmChange:
        """Create or update, then report CREATED / SEVERITY_CHANGED."""
        change = await super().raise_alarm(alarm)
        if self.triggers is not None:
            if change.created:
                await self.triggers.on_alarm(change.alarm, AlarmAction.CREATED)
            elif change.severity_changed:
                await self.triggers.on_alarm(change.alarm, AlarmAction.SEVERITY_CHANGED)
        return change

    async def clear_alarm(
        self, tenant_id: uuid.UUID, alarm_id: uuid.UUID, clear_ts: int, details: object = None
    ) -> Alarm | None:
        """Clear, then report CLEARED."""
        cleared = await super().clear_alarm(tenant_id, alarm_id, clear_ts, details)
        if cleared is not None and self.triggers is not None:
            await self.triggers.on_alarm(cleared, AlarmAction.CLEARED)
        return cleared


def _alarm(msg: Msg) -> Alarm | None:
    try:
        data = orjson.loads(msg.data)
        alarm_id = uuid.UUID(data["id"]["id"])
        _, parsed = alarm_from_wire(data, msg.tenant_id)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, EntityError):
        return None
    return parsed.with_changes(
        id=alarm_id,
        cleared=bool(data.get("cleared")),
        acknowledged=bool(data.get("acknowledged")),
    )


class TriggerPublisher:
    """A :class:`MsgPublisher` that also shows each published message to the triggers."""

    def __init__(self, inner: MsgPublisher) -> None:
        self._inner = inner
        self.triggers: Triggers | None = None

    async def publish(self, msg: Msg) -> None:
        """Queue ``msg``, then let the triggers see it."""
        await self._inner.publish(msg)
        triggers = self.triggers
        if triggers is None:
            return
        action = _REST_ALARM_ACTIONS.get(msg.type)
        if action is not None:
            alarm = _alarm(msg)
            if alarm is not None:
                await triggers.on_alarm(alarm, action)
            return
        await triggers.on_msg(msg)
