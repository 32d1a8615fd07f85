"""Relation labels and the message-type labels of the message type switch (spec §5.2).

Wire constants only: the labels are what exported ThingsBoard chains put in connection
``type`` fields, so they must match character for character.
"""

from __future__ import annotations

from enum import StrEnum

from industryos.entities.ids import EntityType

__all__ = ["ORIGINATOR_TYPE_LABELS", "TYPE_LABELS", "Label"]


class Label(StrEnum):
    """Relation labels every node family uses."""

    SUCCESS = "Success"
    FAILURE = "Failure"
    TRUE = "True"
    FALSE = "False"
    OTHER = "Other"


TYPE_LABELS: dict[str, str] = {
    "POST_TELEMETRY_REQUEST": "Post telemetry",
    "POST_ATTRIBUTES_REQUEST": "Post attributes",
    "TO_SERVER_RPC_REQUEST": "RPC Request from Device",
    "RPC_CALL_FROM_SERVER_TO_DEVICE": "RPC Request to Device",
    "ACTIVITY_EVENT": "Activity Event",
    "INACTIVITY_EVENT": "Inactivity Event",
    "CONNECT_EVENT": "Connect Event",
    "DISCONNECT_EVENT": "Disconnect Event",
    "ENTITY_CREATED": "Entity Created",
    "ENTITY_UPDATED": "Entity Updated",
    "ENTITY_DELETED": "Entity Deleted",
    "ENTITY_ASSIGNED": "Entity Assigned",
    "ENTITY_UNASSIGNED": "Entity Unassigned",
    "ENTITY_ASSIGNED_FROM_TENANT": "Entity Assigned From Tenant",
    "ENTITY_ASSIGNED_TO_TENANT": "Entity Assigned To Tenant",
    "ATTRIBUTES_UPDATED": "Attributes Updated",
    "ATTRIBUTES_DELETED": "Attributes Deleted",
    "TIMESERIES_UPDATED": "Timeseries Updated",
    "TIMESERIES_DELETED": "Timeseries Deleted",
    "ALARM": "Alarm",
    "ALARM_ACK": "Alarm Acknowledged",
    "ALARM_CLEAR": "Alarm Cleared",
    "ALARM_ASSIGNED": "Alarm Assigned",
    "ALARM_UNASSIGNED": "Alarm Unassigned",
    "COMMENT_CREATED": "Comment Created",
    "COMMENT_UPDATED": "Comment Updated",
    "RELATION_ADD_OR_UPDATE": "Relation Added or Updated",
    "RELATION_DELETED": "Relation Deleted",
    "RELATIONS_DELETED": "All Relations Deleted",
    "RPC_QUEUED": "RPC Queued",
    "RPC_SENT": "RPC Sent",
    "RPC_DELIVERED": "RPC Delivered",
    "RPC_SUCCESSFUL": "RPC Successful",
    "RPC_TIMEOUT": "RPC Timeout",
    "RPC_EXPIRED": "RPC Expired",
    "RPC_FAILED": "RPC Failed",
    "RPC_DELETED": "RPC Deleted",
    "REST_API_REQUEST": "REST API request",
}
"""Message type → label emitted by ``TbMsgTypeSwitchNode`` (anything else: ``Other``)."""

ORIGINATOR_TYPE_LABELS: dict[str, str] = {
    entity_type.value: entity_type.value.replace("_", " ").title() for entity_type in EntityType
}
"""Entity type → label of the entity type switch (``DEVICE`` → ``Device``, ``ENTITY_VIEW`` →
``Entity View``)."""
