"""Audit log entries: who did what to which entity, and whether it worked."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from industryos.entities.fields import CustomerId, EntityRow, PlainId, TenantId, UserId
from industryos.entities.ids import EntityType


class ActionType(StrEnum):
    """Audited actions (wire names)."""

    ADDED = "ADDED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    ATTRIBUTES_UPDATED = "ATTRIBUTES_UPDATED"
    ATTRIBUTES_DELETED = "ATTRIBUTES_DELETED"
    ATTRIBUTES_READ = "ATTRIBUTES_READ"
    TIMESERIES_UPDATED = "TIMESERIES_UPDATED"
    TIMESERIES_DELETED = "TIMESERIES_DELETED"
    CREDENTIALS_READ = "CREDENTIALS_READ"
    CREDENTIALS_UPDATED = "CREDENTIALS_UPDATED"
    ASSIGNED_TO_CUSTOMER = "ASSIGNED_TO_CUSTOMER"
    UNASSIGNED_FROM_CUSTOMER = "UNASSIGNED_FROM_CUSTOMER"
    RELATION_ADD_OR_UPDATE = "RELATION_ADD_OR_UPDATE"
    RELATION_DELETED = "RELATION_DELETED"
    RELATIONS_DELETED = "RELATIONS_DELETED"
    ALARM_ACK = "ALARM_ACK"
    ALARM_CLEAR = "ALARM_CLEAR"
    ALARM_DELETE = "ALARM_DELETE"
    RPC_CALL = "RPC_CALL"
    PROVISION_SUCCESS = "PROVISION_SUCCESS"
    PROVISION_FAILURE = "PROVISION_FAILURE"
    LOGIN = "LOGIN"
    LOGOUT = "LOGOUT"
    LOCKOUT = "LOCKOUT"


class ActionStatus(StrEnum):
    """Outcome of an audited action."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"


class AuditLog(EntityRow):
    """One audited action."""

    id: PlainId | None = None
    tenant_id: TenantId
    customer_id: CustomerId | None = None
    entity_type: EntityType | None = None
    entity_id: Any = None
    entity_name: str | None = None
    user_id: UserId | None = None
    user_name: str | None = None
    action_type: ActionType
    action_data: Any = None
    action_status: ActionStatus = ActionStatus.SUCCESS
    action_failure_details: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        if self.entity_type is not None and self.entity_id is not None:
            wire["entityId"] = {"entityType": self.entity_type.value, "id": str(self.entity_id)}
        wire.pop("entityType", None)
        return wire
