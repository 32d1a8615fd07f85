"""Alarm rule schedules (§6.1): ANY_TIME, SPECIFIC_TIME and CUSTOM, in the rule's time zone.

``startsOn``/``endsOn`` are milliseconds since local midnight; ``endsOn = 0`` means the end
of the day and ``startsOn > endsOn`` spans midnight. Days are ISO (1 = Monday).
Design limit: a schedule's own ``dynamicValue`` (schedule read from an attribute) is not
supported; the static schedule applies.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["in_schedule"]

Json = dict[str, Any]

_DAY_MS = 86_400_000


def _local(ts: int, zone: str | None) -> dt.datetime:
    try:
        tz: dt.tzinfo = ZoneInfo(zone) if zone else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return dt.datetime.fromtimestamp(ts / 1000, tz)


def _in_window(ms_of_day: int, starts: int, ends: int) -> bool:
    ends = ends or _DAY_MS
    if starts <= ends:
        return starts <= ms_of_day < ends
    return ms_of_day >= starts or ms_of_day < ends


def _ms_of_day(local: dt.datetime) -> int:
    return ((local.hour * 60 + local.minute) * 60 + local.second) * 1000 + (
        local.microsecond // 1000
    )


def _specific(schedule: Json, ts: int) -> bool:
    local = _local(ts, schedule.get("timezone"))
    days = schedule.get("daysOfWeek") or []
    if days and local.isoweekday() not in days:
        return False
    return _in_window(
        _ms_of_day(local), int(schedule.get("startsOn") or 0), int(schedule.get("endsOn") or 0)
    )


def _custom(schedule: Json, ts: int) -> bool:
    local = _local(ts, schedule.get("timezone"))
    for item in schedule.get("items") or []:
        if int(item.get("dayOfWeek") or 0) == local.isoweekday():
            if not item.get("enabled", True):
                return False
            return _in_window(
                _ms_of_day(local), int(item.get("startsOn") or 0), int(item.get("endsOn") or 0)
            )
    return False


def in_schedule(schedule: Json | None, ts: int) -> bool:
    """True when a rule with ``schedule`` may be TRUE at ``ts`` (epoch ms)."""
    if not schedule:
        return True
    kind = schedule.get("type", "ANY_TIME")
    if kind == "SPECIFIC_TIME":
        return _specific(schedule, ts)
    if kind == "CUSTOM":
        return _custom(schedule, ts)
    return True
