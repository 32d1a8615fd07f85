"""Alarms: the entity and its lifecycle, propagation, comments, service and queries (§6.4).

Device-profile alarm rules (§6.1, §6.2) are evaluated by ``alarms.rules`` for the rule
engine's device profile node.
"""

from __future__ import annotations

from industryos.alarms.enums import AlarmSearchStatus, AlarmSeverity, AlarmStatus, CommentType
from industryos.alarms.model import Alarm, AlarmComment
from industryos.alarms.service import AlarmChange, AlarmService

__all__ = [
    "Alarm",
    "AlarmChange",
    "AlarmComment",
    "AlarmSearchStatus",
    "AlarmService",
    "AlarmSeverity",
    "AlarmStatus",
    "CommentType",
]
