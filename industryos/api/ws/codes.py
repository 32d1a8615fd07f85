"""Wire constants of the WebSocket API (platform-api §4): command types, legacy envelope
keys, error codes, update types and close codes, spelled as ThingsBoard spells them."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "LEGACY_KEYS",
    "CloseCode",
    "CmdType",
    "CmdUpdateType",
    "ErrorCode",
    "Reason",
]


class CmdType(StrEnum):
    """The ``type`` of a command in the ``/api/ws`` envelope."""

    ATTRIBUTES = "ATTRIBUTES"
    TIMESERIES = "TIMESERIES"
    TIMESERIES_HISTORY = "TIMESERIES_HISTORY"
    ENTITY_DATA = "ENTITY_DATA"
    ENTITY_COUNT = "ENTITY_COUNT"
    ALARM_DATA = "ALARM_DATA"
    ALARM_COUNT = "ALARM_COUNT"
    ALARM_STATUS = "ALARM_STATUS"
    NOTIFICATIONS = "NOTIFICATIONS"
    NOTIFICATIONS_COUNT = "NOTIFICATIONS_COUNT"
    MARK_NOTIFICATIONS_AS_READ = "MARK_NOTIFICATIONS_AS_READ"
    MARK_ALL_NOTIFICATIONS_AS_READ = "MARK_ALL_NOTIFICATIONS_AS_READ"
    ENTITY_DATA_UNSUBSCRIBE = "ENTITY_DATA_UNSUBSCRIBE"
    ENTITY_COUNT_UNSUBSCRIBE = "ENTITY_COUNT_UNSUBSCRIBE"
    ALARM_DATA_UNSUBSCRIBE = "ALARM_DATA_UNSUBSCRIBE"
    ALARM_COUNT_UNSUBSCRIBE = "ALARM_COUNT_UNSUBSCRIBE"
    ALARM_STATUS_UNSUBSCRIBE = "ALARM_STATUS_UNSUBSCRIBE"
    NOTIFICATIONS_UNSUBSCRIBE = "NOTIFICATIONS_UNSUBSCRIBE"


LEGACY_KEYS: dict[str, CmdType] = {
    "tsSubCmds": CmdType.TIMESERIES,
    "attrSubCmds": CmdType.ATTRIBUTES,
    "historyCmds": CmdType.TIMESERIES_HISTORY,
    "entityDataCmds": CmdType.ENTITY_DATA,
    "entityDataUnsubscribeCmds": CmdType.ENTITY_DATA_UNSUBSCRIBE,
    "alarmDataCmds": CmdType.ALARM_DATA,
    "alarmDataUnsubscribeCmds": CmdType.ALARM_DATA_UNSUBSCRIBE,
    "entityCountCmds": CmdType.ENTITY_COUNT,
    "entityCountUnsubscribeCmds": CmdType.ENTITY_COUNT_UNSUBSCRIBE,
    "alarmCountCmds": CmdType.ALARM_COUNT,
    "alarmCountUnsubscribeCmds": CmdType.ALARM_COUNT_UNSUBSCRIBE,
}
"""Arrays of the legacy ``/api/ws/plugins/telemetry`` envelope and the type of their items."""


class ErrorCode(IntEnum):
    """``errorCode`` of an update (``SubscriptionErrorCode``)."""

    NO_ERROR = 0
    INTERNAL_ERROR = 1
    BAD_REQUEST = 2
    UNAUTHORIZED = 3

    @property
    def default_message(self) -> str | None:
        """ThingsBoard's default text of the code."""
        return _DEFAULT_MESSAGES[self]


_DEFAULT_MESSAGES = {
    ErrorCode.NO_ERROR: None,
    ErrorCode.INTERNAL_ERROR: "Internal Server error!",
    ErrorCode.BAD_REQUEST: "Bad request",
    ErrorCode.UNAUTHORIZED: "Unauthorized",
}


class CmdUpdateType(StrEnum):
    """``cmdUpdateType`` of a v2 reply."""

    ENTITY_DATA = "ENTITY_DATA"
    ALARM_DATA = "ALARM_DATA"
    COUNT_DATA = "COUNT_DATA"
    ALARM_COUNT_DATA = "ALARM_COUNT_DATA"
    ALARM_STATUS = "ALARM_STATUS"
    NOTIFICATIONS = "NOTIFICATIONS"
    NOTIFICATIONS_COUNT = "NOTIFICATIONS_COUNT"


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (RFC 6455 §7.4.1)."""

    NORMAL = 1000
    BAD_DATA = 1007
    POLICY_VIOLATION = 1008
    INTERNAL_ERROR = 1011


class Reason(StrEnum):
    """Close reasons and fixed error texts clients may match on."""

    AUTH_MISSING = "Auth cmd is missing"
    AUTH_TIMEOUT = "Auth timeout"
    TOKEN_MISSING = "Auth token is missing"
    PARSE_FAILED = "Failed to parse the payload"
    MAX_PENDING = "Max pending updates limit reached!"
    MAX_SUBSCRIPTIONS = "Max subscriptions limit reached!"
