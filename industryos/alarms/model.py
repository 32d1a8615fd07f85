"""The alarm entity and its comments as Python values, and their JSON wire forms (§6.4).

Alarms are built by rule nodes on the hot path as well as by REST, so they are plain
dataclasses rather than pydantic models; the REST edge parses its input with
:func:`alarm_from_wire`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from industryos.alarms.enums import AlarmSeverity, AlarmStatus, CommentType
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import NULL_UUID, EntityType, entity_id_json, new_id, now_ms
from industryos.msg import EntityRef

__all__ = ["Alarm", "AlarmComment", "alarm_from_wire"]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm: at most one active (not cleared) per originator and type."""

    tenant_id: uuid.UUID
    originator: EntityRef
    type: str
    severity: AlarmSeverity
    customer_id: uuid.UUID = NULL_UUID
    id: uuid.UUID = field(default_factory=new_id)
    created_time: int = field(default_factory=now_ms)
    acknowledged: bool = False
    cleared: bool = False
    assignee_id: uuid.UUID | None = None
    start_ts: int = 0
    end_ts: int = 0
    ack_ts: int = 0
    clear_ts: int = 0
    assign_ts: int = 0
    details: Any = None
    propagate: bool = False
    propagate_to_owner: bool = False
    propagate_to_tenant: bool = False
    propagate_relation_types: tuple[str, ...] = ()

    @property
    def status(self) -> AlarmStatus:
        """Derived from the two one-way flags."""
        return AlarmStatus.of(self.cleared, self.acknowledged)

    def with_changes(self, **changes: Any) -> Alarm:
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def to_row(self) -> Json:
        """Column values of the ``alarm`` table."""
        return {
            "id": self.id,
            "created_time": self.created_time,
            "tenant_id": self.tenant_id,
            "customer_id": self.customer_id,
            "type": self.type,
            "originator_type": self.originator.entity_type.value,
            "originator_id": self.originator.id,
            "severity": self.severity.value,
            "acknowledged": self.acknowledged,
            "cleared": self.cleared,
            "assignee_id": self.assignee_id,
            "start_ts": self.start_ts,
            "end_ts": self.end_ts,
            "ack_ts": self.ack_ts,
            "clear_ts": self.clear_ts,
            "assign_ts": self.assign_ts,
            "details": self.details,
            "propagate": self.propagate,
            "propagate_to_owner": self.propagate_to_owner,
            "propagate_to_tenant": self.propagate_to_tenant,
            "propagate_relation_types": list(self.propagate_relation_types),
        }

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> Alarm:
        """The alarm of one ``alarm`` row."""
        return cls(
            id=row["id"],
            created_time=row["created_time"],
            tenant_id=row["tenant_id"],
            customer_id=row["customer_id"],
            type=row["type"],
            originator=EntityRef(EntityType(row["originator_type"]), row["originator_id"]),
            severity=AlarmSeverity(row["severity"]),
            acknowledged=bool(row["acknowledged"]),
            cleared=bool(row["cleared"]),
            assignee_id=row["assignee_id"],
            start_ts=row["start_ts"],
            end_ts=row["end_ts"],
            ack_ts=row["ack_ts"],
            clear_ts=row["clear_ts"],
            assign_ts=row["assign_ts"],
            details=row["details"],
            propagate=bool(row["propagate"]),
            propagate_to_owner=bool(row["propagate_to_owner"]),
            propagate_to_tenant=bool(row["propagate_to_tenant"]),
            propagate_relation_types=tuple(row["propagate_relation_types"] or ()),
        )

    def to_wire(self) -> Json:
        """The ``Alarm`` JSON (always with ``name`` and ``status``)."""
        return {
            "id": entity_id_json(EntityType.ALARM, self.id),
            "createdTime": self.created_time,
            "tenantId": entity_id_json(EntityType.TENANT, self.tenant_id),
            "customerId": entity_id_json(EntityType.CUSTOMER, self.customer_id),
            "type": self.type,
            "name": self.type,
            "originator": entity_id_json(self.originator.entity_type, self.originator.id),
            "severity": self.severity.value,
            "acknowledged": self.acknowledged,
            "cleared": self.cleared,
            "status": self.status.value,
            "assigneeId": (
                None
                if self.assignee_id is None
                else entity_id_json(EntityType.USER, self.assignee_id)
            ),
            "startTs": self.start_ts,
            "endTs": self.end_ts,
            "ackTs": self.ack_ts,
            "clearTs": self.clear_ts,
            "assignTs": self.assign_ts,
            "details": self.details,
            "propagate": self.propagate,
            "propagateToOwner": self.propagate_to_owner,
            "propagateToTenant": self.propagate_to_tenant,
            "propagateRelationTypes": list(self.propagate_relation_types),
        }


def _id_of(value: Any, name: str) -> uuid.UUID | None:
    if value is None:
        return None
    raw = value.get("id") if isinstance(value, dict) else value
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise InvalidArgument(f"Invalid {name}") from None


def alarm_from_wire(body: Json, tenant_id: uuid.UUID) -> tuple[uuid.UUID | None, Alarm]:
    """Parse a POST ``/api/alarm`` body: ``(id or None, alarm)``; bad input → 400."""
    try:
        originator = body["originator"]
        ref = EntityRef(EntityType(originator["entityType"]), uuid.UUID(originator["id"]))
        alarm_type = body["type"]
        severity = AlarmSeverity(body.get("severity") or AlarmSeverity.INDETERMINATE)
    except (KeyError, TypeError, ValueError):
        raise InvalidArgument("Alarm must have a valid originator, type and severity") from None
    if not isinstance(alarm_type, str) or not alarm_type:
        raise InvalidArgument("Alarm type should be specified!")
    now = now_ms()
    start = int(body.get("startTs") or now)
    relation_types = body.get("propagateRelationTypes") or []
    alarm = Alarm(
        tenant_id=tenant_id,
        originator=ref,
        type=alarm_type,
        severity=severity,
        start_ts=start,
        end_ts=int(body.get("endTs") or start),
        details=body.get("details"),
        propagate=bool(body.get("propagate")),
        propagate_to_owner=bool(body.get("propagateToOwner")),
        propagate_to_tenant=bool(body.get("propagateToTenant")),
        propagate_relation_types=tuple(str(t) for t in relation_types),
        assignee_id=_id_of(body.get("assigneeId"), "assigneeId"),
    )
    return _id_of(body.get("id"), "alarm id"), alarm


@dataclass(frozen=True, slots=True)
class AlarmComment:
    """A comment on an alarm; SYSTEM ones record ack, clear and assignment."""

    alarm_id: uuid.UUID
    type: CommentType
    comment: Json
    user_id: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=new_id)
    created_time: int = field(default_factory=now_ms)

    def to_row(self) -> Json:
        """Column values of ``alarm_comment``."""
        return {
            "id": self.id,
            "created_time": self.created_time,
            "alarm_id": self.alarm_id,
            "user_id": self.user_id,
            "type": self.type.value,
            "comment": self.comment,
        }

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> AlarmComment:
        """The comment of one row."""
        return cls(
            id=row["id"],
            created_time=row["created_time"],
            alarm_id=row["alarm_id"],
            user_id=row["user_id"],
            type=CommentType(row["type"]),
            comment=row["comment"] or {},
        )

    def to_wire(self) -> Json:
        """The ``AlarmComment`` JSON."""
        return {
            "id": {"id": str(self.id)},
            "createdTime": self.created_time,
            "alarmId": entity_id_json(EntityType.ALARM, self.alarm_id),
            "userId": None
            if self.user_id is None
            else entity_id_json(EntityType.USER, self.user_id),
            "type": self.type.value,
            "comment": self.comment,
        }
