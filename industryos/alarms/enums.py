"""Wire names of the alarm contract (spec platform-api §6.4, §3.6), kept apart from behaviour."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "SEVERITY_ORDER",
    "AlarmMsgType",
    "AlarmSearchStatus",
    "AlarmSeverity",
    "AlarmStatus",
    "CommentType",
]


class AlarmSeverity(StrEnum):
    """Alarm severities; declaration order is most → least severe (ThingsBoard's ordinal)."""

    CRITICAL = "CRITICAL"
    MAJOR = "MAJOR"
    MINOR = "MINOR"
    WARNING = "WARNING"
    INDETERMINATE = "INDETERMINATE"

    @property
    def rank(self) -> int:
        """0 for CRITICAL … 4 for INDETERMINATE: lower is more severe."""
        return SEVERITY_ORDER.index(self)


SEVERITY_ORDER: tuple[AlarmSeverity, ...] = tuple(AlarmSeverity)
"""Severities from most to least severe (the order create rules are evaluated in)."""


class AlarmStatus(StrEnum):
    """The status derived from the ``cleared`` and ``acknowledged`` flags."""

    ACTIVE_UNACK = "ACTIVE_UNACK"
    ACTIVE_ACK = "ACTIVE_ACK"
    CLEARED_UNACK = "CLEARED_UNACK"
    CLEARED_ACK = "CLEARED_ACK"

    @classmethod
    def of(cls, cleared: bool, acknowledged: bool) -> AlarmStatus:
        """The status of an alarm with these flags."""
        return _STATUS[(cleared, acknowledged)]

    @property
    def cleared(self) -> bool:
        """True for the two cleared statuses."""
        return self in (AlarmStatus.CLEARED_UNACK, AlarmStatus.CLEARED_ACK)

    @property
    def acknowledged(self) -> bool:
        """True for the two acknowledged statuses."""
        return self in (AlarmStatus.ACTIVE_ACK, AlarmStatus.CLEARED_ACK)


_STATUS = {
    (False, False): AlarmStatus.ACTIVE_UNACK,
    (False, True): AlarmStatus.ACTIVE_ACK,
    (True, False): AlarmStatus.CLEARED_UNACK,
    (True, True): AlarmStatus.CLEARED_ACK,
}


class AlarmSearchStatus(StrEnum):
    """``searchStatus`` of alarm lists: one flag, or ANY."""

    ANY = "ANY"
    ACTIVE = "ACTIVE"
    CLEARED = "CLEARED"
    ACK = "ACK"
    UNACK = "UNACK"


class CommentType(StrEnum):
    """Who wrote an alarm comment: the platform (ack/clear/assign) or a user."""

    SYSTEM = "SYSTEM"
    OTHER = "OTHER"


class AlarmMsgType(StrEnum):
    """Rule-engine message types of alarm changes (``msg.MsgType`` lacks the assignment ones)."""

    ALARM = "ALARM"
    ALARM_ACK = "ALARM_ACK"
    ALARM_CLEAR = "ALARM_CLEAR"
    ALARM_DELETE = "ALARM_DELETE"
    ALARM_ASSIGNED = "ALARM_ASSIGNED"
    ALARM_UNASSIGNED = "ALARM_UNASSIGNED"
    COMMENT_CREATED = "COMMENT_CREATED"
