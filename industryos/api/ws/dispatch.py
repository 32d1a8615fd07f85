"""The default command table: every command type this node serves, and its handler.

A type missing here would be answered with a BAD_REQUEST error naming the type, on the
command's own ``cmdId``.
"""

from __future__ import annotations

from industryos.api.ws import notifications as notify
from industryos.api.ws.alarm_data import alarm_count, alarm_data, alarm_status
from industryos.api.ws.codes import CmdType
from industryos.api.ws.entity_data import entity_count, entity_data, unsubscribe
from industryos.api.ws.services import Handler
from industryos.api.ws.telemetry import attributes, history, timeseries

__all__ = ["default_handlers"]


def default_handlers() -> dict[CmdType, Handler]:
    """A fresh table (callers may add their own entries)."""
    return {
        CmdType.TIMESERIES: timeseries,
        CmdType.ATTRIBUTES: attributes,
        CmdType.TIMESERIES_HISTORY: history,
        CmdType.ENTITY_DATA: entity_data,
        CmdType.ENTITY_DATA_UNSUBSCRIBE: unsubscribe,
        CmdType.ENTITY_COUNT: entity_count,
        CmdType.ENTITY_COUNT_UNSUBSCRIBE: unsubscribe,
        CmdType.ALARM_DATA: alarm_data,
        CmdType.ALARM_DATA_UNSUBSCRIBE: unsubscribe,
        CmdType.ALARM_COUNT: alarm_count,
        CmdType.ALARM_COUNT_UNSUBSCRIBE: unsubscribe,
        CmdType.ALARM_STATUS: alarm_status,
        CmdType.ALARM_STATUS_UNSUBSCRIBE: unsubscribe,
        CmdType.NOTIFICATIONS: notify.notifications,
        CmdType.NOTIFICATIONS_COUNT: notify.notifications_count,
        CmdType.MARK_NOTIFICATIONS_AS_READ: notify.mark_read,
        CmdType.MARK_ALL_NOTIFICATIONS_AS_READ: notify.mark_all_read,
        CmdType.NOTIFICATIONS_UNSUBSCRIBE: notify.unsubscribe,
    }
