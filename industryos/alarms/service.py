"""The alarm service: raise, update, acknowledge, clear, assign and delete alarms.

Two callers: rule nodes (the ``raise_alarm``/``clear_alarm`` system API, tenant given by the
message, the node emits the resulting ALARM message on its own outputs) and REST (every
method taking a :class:`Caller`, scoped by tenant and customer, audited, announced to the
rule engine as ALARM / ALARM_ACK / ALARM_CLEAR / ALARM_DELETE / ALARM_(UN)ASSIGNED).

"At most one active alarm per originator and type" holds because the lookup of the active
alarm and the write happen in one transaction, and the rule engine processes one
originator's messages in order (one lane per originator).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import orjson

from industryos.alarms import store
from industryos.alarms.enums import AlarmMsgType, CommentType
from industryos.alarms.model import Alarm, AlarmComment
from industryos.alarms.propagation import store_propagation
from industryos.alarms.schema import alarm as alarm_table
from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.events import MsgPublisher
from industryos.entities.ids import EntityType, now_ms
from industryos.entities.models import ActionType, Authority
from industryos.entities.models.entity_limits import UsageKey
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.msg import Msg
from industryos.storage.database import Database

__all__ = ["AlarmChange", "AlarmListener", "AlarmService", "alarm_msg"]

log = logging.getLogger(__name__)

AlarmListener = Callable[[Alarm, bool], None]
"""Told ``(alarm, deleted)`` after every committed change (WebSocket ALARM_DATA pushes)."""


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """What :meth:`AlarmService.raise_alarm` did."""

    alarm: Alarm
    created: bool
    severity_changed: bool = False
    previous: Alarm | None = None


class AlarmService:
    """Alarms of every tenant, behind tenant and customer scoping."""

    def __init__(
        self,
        db: Database,
        lookup: EntityLookup,
        audit: AuditService,
        publisher: MsgPublisher,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)  # the profile's maxCreatedAlarms
        self._lookup = lookup
        self._audit = audit
        self._publisher = publisher
        self._listeners: list[AlarmListener] = []

    def listen(self, listener: AlarmListener) -> Callable[[], None]:
        """Hear about committed alarm changes (quick, synchronous); returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed(self, alarm: Alarm, deleted: bool = False) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(alarm, deleted)
            except Exception:
                log.exception("alarm listener %r failed", listener)

    @property
    def db(self) -> Database:
        """The database (for the query module)."""
        return self._db

    # System API (rule nodes)

    async def find_active(
        self, tenant_id: uuid.UUID, originator_id: uuid.UUID, alarm_type: str
    ) -> Alarm | None:
        """The active alarm of an originator and type."""
        async with self._db.read() as conn:
            return await store.find_active(conn, tenant_id, originator_id, alarm_type)

    async def find_active_many(
        self,
        tenant_id: uuid.UUID,
        originator_ids: Sequence[uuid.UUID],
        alarm_types: Collection[str],
    ) -> dict[tuple[uuid.UUID, str], Alarm]:
        """The active alarms of many originators and types, by ``(originator, type)``."""
        async with self._db.read() as conn:
            return await store.find_active_many(conn, tenant_id, originator_ids, alarm_types)

    async def get_in_tenant(self, tenant_id: uuid.UUID, alarm_id: uuid.UUID) -> Alarm | None:
        """An alarm of ``tenant_id`` (None if missing or of another tenant)."""
        async with self._db.read() as conn:
            found = await store.get_alarm(conn, alarm_id)
        return found if found is not None and found.tenant_id == tenant_id else None

    async def raise_alarm(self, alarm: Alarm) -> AlarmChange:
        """Create ``alarm``, or update the active alarm of its originator and type.

        An update keeps the existing id, ``startTs`` and flags and takes severity, details,
        ``endTs`` and propagation settings from ``alarm``.
        """
        change = await self._raise(alarm)
        self._changed(change.alarm)
        return change

    async def _raise(self, alarm: Alarm) -> AlarmChange:
        async with self._db.transaction() as conn:
            active = await store.find_active(conn, alarm.tenant_id, alarm.originator.id, alarm.type)
            if active is None:
                await self._limits.check_monthly(
                    conn, alarm.tenant_id, UsageKey.CREATED_ALARMS, alarm_table
                )
                await store.insert_alarm(conn, alarm)
                await store_propagation(conn, alarm)
                return AlarmChange(alarm, created=True)
            updated = active.with_changes(
                severity=alarm.severity,
                details=alarm.details if alarm.details is not None else active.details,
                end_ts=max(alarm.end_ts, active.end_ts),
                propagate=alarm.propagate,
                propagate_to_owner=alarm.propagate_to_owner,
                propagate_to_tenant=alarm.propagate_to_tenant,
                propagate_relation_types=alarm.propagate_relation_types,
            )
            await store.update_alarm(conn, updated)
            await store_propagation(conn, updated)
        return AlarmChange(
            updated,
            created=False,
            severity_changed=updated.severity != active.severity,
            previous=active,
        )

    async def clear_alarm(
        self, tenant_id: uuid.UUID, alarm_id: uuid.UUID, clear_ts: int, details: object = None
    ) -> Alarm | None:
        """Clear an active alarm of ``tenant_id``; None if it is missing or already cleared."""
        async with self._db.transaction() as conn:
            found = await store.get_alarm(conn, alarm_id)
            if found is None or found.tenant_id != tenant_id or found.cleared:
                return None
            cleared = found.with_changes(
                cleared=True,
                clear_ts=clear_ts,
                end_ts=max(found.end_ts, clear_ts),
                details=details if details is not None else found.details,
            )
            await store.update_alarm(conn, cleared)
            await store.insert_comment(conn, _system_comment(alarm_id, None, "Alarm was cleared"))
        self._changed(cleared)
        return cleared

    # REST API

    async def get(self, caller: Caller, alarm_id: uuid.UUID) -> Alarm:
        """An alarm the caller may see."""
        async with self._db.read() as conn:
            found = await store.get_alarm(conn, alarm_id)
        if found is None:
            raise NotFound()
        caller.check_owner(found.tenant_id, found.customer_id)
        return found

    async def save(self, caller: Caller, body_id: uuid.UUID | None, alarm: Alarm) -> Alarm:
        """POST ``/api/alarm``: update by id, else create or update the active alarm."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        owner = await self._lookup.check(caller, alarm.originator.entity_type, alarm.originator.id)
        alarm = alarm.with_changes(tenant_id=owner.tenant_id, customer_id=owner.customer_id)
        if alarm.assignee_id is not None:
            await self._check_assignee(caller, alarm.assignee_id)
            alarm = alarm.with_changes(assign_ts=now_ms())
        if body_id is not None:
            existing = await self.get(caller, body_id)
            alarm = existing.with_changes(
                severity=alarm.severity,
                details=alarm.details,
                end_ts=alarm.end_ts,
                propagate=alarm.propagate,
                propagate_to_owner=alarm.propagate_to_owner,
                propagate_to_tenant=alarm.propagate_to_tenant,
                propagate_relation_types=alarm.propagate_relation_types,
            )
            async with self._db.transaction() as conn:
                await store.update_alarm(conn, alarm)
                await store_propagation(conn, alarm)
            self._changed(alarm)
            saved, action = alarm, ActionType.UPDATED
        else:
            change = await self.raise_alarm(alarm)
            saved = change.alarm
            action = ActionType.ADDED if change.created else ActionType.UPDATED
        await self._announce(caller, saved, action, AlarmMsgType.ALARM)
        return saved

    async def delete(self, caller: Caller, alarm_id: uuid.UUID) -> None:
        """Delete an alarm (tenant administrators)."""
        caller.require(Authority.TENANT_ADMIN)
        found = await self.get(caller, alarm_id)
        async with self._db.transaction() as conn:
            await store.delete_alarm(conn, alarm_id)
        self._changed(found, deleted=True)
        await self._announce(caller, found, ActionType.ALARM_DELETE, AlarmMsgType.ALARM_DELETE)

    async def ack(self, caller: Caller, alarm_id: uuid.UUID) -> Alarm:
        """Acknowledge; an acknowledged alarm → 400."""
        found = await self.get(caller, alarm_id)
        if found.acknowledged:
            raise InvalidArgument("Alarm was already acknowledged!")
        now = now_ms()
        acked = found.with_changes(acknowledged=True, ack_ts=now)
        await self._change(caller, acked, f"Alarm was acknowledged by user {caller.email}", "ACK")
        await self._announce(caller, acked, ActionType.ALARM_ACK, AlarmMsgType.ALARM_ACK)
        return acked

    async def clear(self, caller: Caller, alarm_id: uuid.UUID) -> Alarm:
        """Clear; a cleared alarm → 400."""
        found = await self.get(caller, alarm_id)
        if found.cleared:
            raise InvalidArgument("Alarm was already cleared!")
        now = now_ms()
        cleared = found.with_changes(cleared=True, clear_ts=now, end_ts=max(found.end_ts, now))
        await self._change(caller, cleared, f"Alarm was cleared by user {caller.email}", "CLEAR")
        await self._announce(caller, cleared, ActionType.ALARM_CLEAR, AlarmMsgType.ALARM_CLEAR)
        return cleared

    async def assign(self, caller: Caller, alarm_id: uuid.UUID, user_id: uuid.UUID) -> Alarm:
        """Assign to a user of the alarm's tenant."""
        found = await self.get(caller, alarm_id)
        email = await self._check_assignee(caller, user_id)
        assigned = found.with_changes(assignee_id=user_id, assign_ts=now_ms())
        await self._change(caller, assigned, f"Alarm was assigned to user {email}", "ASSIGN")
        await self._announce(caller, assigned, ActionType.UPDATED, AlarmMsgType.ALARM_ASSIGNED)
        return assigned

    async def unassign(self, caller: Caller, alarm_id: uuid.UUID) -> Alarm:
        """Remove the assignee."""
        found = await self.get(caller, alarm_id)
        unassigned = found.with_changes(assignee_id=None, assign_ts=now_ms())
        await self._change(caller, unassigned, "Alarm was unassigned", "UNASSIGN")
        await self._announce(caller, unassigned, ActionType.UPDATED, AlarmMsgType.ALARM_UNASSIGNED)
        return unassigned

    async def _check_assignee(self, caller: Caller, user_id: uuid.UUID) -> str:
        owner = await self._lookup.owner(EntityType.USER, user_id)
        caller.check_tenant(owner.tenant_id)
        return owner.name

    async def _change(self, caller: Caller, alarm: Alarm, text: str, sub_type: str) -> None:
        async with self._db.transaction() as conn:
            await store.update_alarm(conn, alarm)
            comment = _system_comment(alarm.id, caller.user_id, text, sub_type)
            await store.insert_comment(conn, comment)
        self._changed(alarm)

    async def _announce(
        self, caller: Caller, alarm: Alarm, action: ActionType, msg_type: AlarmMsgType
    ) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.ALARM,
            entity_id=alarm.id,
            entity_name=alarm.type,
            customer_id=alarm.customer_id,
        )
        await self._publisher.publish(alarm_msg(alarm, msg_type, {"userId": str(caller.user_id)}))


def alarm_msg(alarm: Alarm, msg_type: str, metadata: dict[str, str] | None = None) -> Msg:
    """A rule-engine message about ``alarm``: originator = the alarm's originator."""
    return Msg(
        type=str(msg_type),
        originator=alarm.originator,
        tenant_id=alarm.tenant_id,
        customer_id=alarm.customer_id,
        data=orjson.dumps(alarm.to_wire()).decode(),
        metadata=metadata or {},
    )


def _system_comment(
    alarm_id: uuid.UUID, user_id: uuid.UUID | None, text: str, sub_type: str = "CLEAR"
) -> AlarmComment:
    return AlarmComment(
        alarm_id=alarm_id,
        type=CommentType.SYSTEM,
        user_id=user_id,
        comment={"text": text, "subtype": sub_type},
    )
