"""Wire constants of the notification center (platform-api §7), spelled as ThingsBoard does."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AlarmAction",
    "DeliveryMethod",
    "DeliveryStatus",
    "NotificationStatus",
    "NotificationType",
    "RequestStatus",
    "SettingsKey",
    "TargetType",
    "UsersFilterType",
]


class DeliveryMethod(StrEnum):
    """How a notification reaches its recipient (``WEBHOOK`` is ours, not ThingsBoard's)."""

    WEB = "WEB"
    EMAIL = "EMAIL"
    SMS = "SMS"
    SLACK = "SLACK"
    MICROSOFT_TEAMS = "MICROSOFT_TEAMS"
    MOBILE_APP = "MOBILE_APP"
    WEBHOOK = "WEBHOOK"


class NotificationType(StrEnum):
    """A template's ``notificationType`` and a rule's ``triggerType``."""

    GENERAL = "GENERAL"
    ALARM = "ALARM"
    DEVICE_ACTIVITY = "DEVICE_ACTIVITY"
    ENTITY_ACTION = "ENTITY_ACTION"
    ALARM_COMMENT = "ALARM_COMMENT"
    ALARM_ASSIGNMENT = "ALARM_ASSIGNMENT"
    RULE_ENGINE_COMPONENT_LIFECYCLE_EVENT = "RULE_ENGINE_COMPONENT_LIFECYCLE_EVENT"
    NEW_PLATFORM_VERSION = "NEW_PLATFORM_VERSION"
    ENTITIES_LIMIT = "ENTITIES_LIMIT"
    API_USAGE_LIMIT = "API_USAGE_LIMIT"
    RATE_LIMITS = "RATE_LIMITS"
    EDGE_CONNECTION = "EDGE_CONNECTION"
    EDGE_COMMUNICATION_FAILURE = "EDGE_COMMUNICATION_FAILURE"
    TASK_PROCESSING_FAILURE = "TASK_PROCESSING_FAILURE"
    RESOURCES_SHORTAGE = "RESOURCES_SHORTAGE"
    RULE_NODE = "RULE_NODE"


class TargetType(StrEnum):
    """``configuration.type`` of a target (``WEBHOOK`` is ours)."""

    PLATFORM_USERS = "PLATFORM_USERS"
    SLACK = "SLACK"
    MICROSOFT_TEAMS = "MICROSOFT_TEAMS"
    WEBHOOK = "WEBHOOK"


class UsersFilterType(StrEnum):
    """``usersFilter.type`` of a PLATFORM_USERS target."""

    USER_LIST = "USER_LIST"
    CUSTOMER_USERS = "CUSTOMER_USERS"
    TENANT_ADMINISTRATORS = "TENANT_ADMINISTRATORS"
    AFFECTED_TENANT_ADMINISTRATORS = "AFFECTED_TENANT_ADMINISTRATORS"
    SYSTEM_ADMINISTRATORS = "SYSTEM_ADMINISTRATORS"
    ALL_USERS = "ALL_USERS"
    ORIGINATOR_ENTITY_OWNER_USERS = "ORIGINATOR_ENTITY_OWNER_USERS"
    AFFECTED_USER = "AFFECTED_USER"


class AlarmAction(StrEnum):
    """``notifyOn`` values of an ALARM rule."""

    CREATED = "CREATED"
    SEVERITY_CHANGED = "SEVERITY_CHANGED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    CLEARED = "CLEARED"


class RequestStatus(StrEnum):
    """Status of one send."""

    PROCESSING = "PROCESSING"
    SENT = "SENT"
    SCHEDULED = "SCHEDULED"


class NotificationStatus(StrEnum):
    """Status of a WEB notification of one recipient."""

    SENT = "SENT"
    READ = "READ"


class DeliveryStatus(StrEnum):
    """Per-recipient status in the delivery log."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class SettingsKey(StrEnum):
    """Settings stored per system (NULL tenant) and per tenant."""

    MAIL = "mail"
    SMS = "sms"
    NOTIFICATIONS = "notifications"
