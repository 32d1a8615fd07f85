"""Alarm lists, the highest severity of an entity and the alarm types of a tenant (§3.6).

Every list is one query over ``alarm`` joined with ``alarm_entity`` when it is about one
entity (so alarms propagated to it are included), always scoped by the caller's tenant and,
for customer users, customer. Infos (originator names, assignees) are resolved in one query
per entity type for the whole page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from industryos.alarms.enums import SEVERITY_ORDER, AlarmSearchStatus, AlarmSeverity, AlarmStatus
from industryos.alarms.model import Alarm
from industryos.alarms.schema import alarm, alarm_entity
from industryos.entities.access import Caller
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.errors import PermissionDenied
from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = ["AlarmFilter", "AlarmQueries"]

Json = dict[str, Any]

_SORT: dict[str, sa.ColumnElement[Any]] = {
    "createdTime": alarm.c.created_time,
    "startTs": alarm.c.start_ts,
    "endTs": alarm.c.end_ts,
    "ackTs": alarm.c.ack_ts,
    "clearTs": alarm.c.clear_ts,
    "type": alarm.c.type,
    "severity": alarm.c.severity,
    "status": alarm.c.cleared,
}


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    """Filters of the v1 (``searchStatus``/``status``) and v2 (lists) alarm queries."""

    search_statuses: Sequence[AlarmSearchStatus] = ()
    status: AlarmStatus | None = None
    severities: Sequence[AlarmSeverity] = ()
    types: Sequence[str] = ()
    assignee_id: uuid.UUID | None = None
    extra: list[sa.ColumnElement[bool]] = field(default_factory=list)

    def where(self) -> list[sa.ColumnElement[bool]]:
        """SQL conditions of this filter."""
        where = list(self.extra)
        statuses = set(self.search_statuses) - {AlarmSearchStatus.ANY}
        if {AlarmSearchStatus.ACTIVE, AlarmSearchStatus.CLEARED} & statuses:
            wanted = {
                s is AlarmSearchStatus.CLEARED
                for s in statuses
                if s in (AlarmSearchStatus.ACTIVE, AlarmSearchStatus.CLEARED)
            }
            if len(wanted) == 1:
                where.append(alarm.c.cleared == wanted.pop())
        if {AlarmSearchStatus.ACK, AlarmSearchStatus.UNACK} & statuses:
            acked = {
                s is AlarmSearchStatus.ACK
                for s in statuses
                if s in (AlarmSearchStatus.ACK, AlarmSearchStatus.UNACK)
            }
            if len(acked) == 1:
                where.append(alarm.c.acknowledged == acked.pop())
        if self.status is not None:
            where.append(alarm.c.cleared == self.status.cleared)
            where.append(alarm.c.acknowledged == self.status.acknowledged)
        if self.severities:
            where.append(alarm.c.severity.in_([s.value for s in self.severities]))
        if self.types:
            where.append(alarm.c.type.in_(list(self.types)))
        if self.assignee_id is not None:
            where.append(alarm.c.assignee_id == self.assignee_id)
        return where


class AlarmQueries:
    """Read side of alarms for the REST API."""

    def __init__(self, db: Database, lookup: EntityLookup) -> None:
        self._db = db
        self._lookup = lookup

    def _scope(self, caller: Caller) -> list[sa.ColumnElement[bool]]:
        if caller.is_sys_admin:
            raise PermissionDenied()
        where = [alarm.c.tenant_id == caller.tenant_id]
        if caller.is_customer_user:
            where.append(alarm.c.customer_id == caller.customer_id)
        return where

    async def page(
        self,
        caller: Caller,
        link: PageLink,
        flt: AlarmFilter,
        entity: tuple[EntityType, uuid.UUID] | None = None,
    ) -> PageData[Alarm]:
        """A page of the alarms the caller may see, of one entity (propagated included)."""
        where = self._scope(caller) + flt.where()
        if entity is not None:
            await self._lookup.check(caller, *entity)
            where.append(
                alarm.c.id.in_(
                    sa.select(alarm_entity.c.alarm_id).where(
                        alarm_entity.c.entity_id == entity[1],
                        alarm_entity.c.tenant_id == caller.tenant_id,
                    )
                )
            )
        if link.start_time is not None:
            where.append(alarm.c.created_time >= link.start_time)
        if link.end_time is not None:
            where.append(alarm.c.created_time <= link.end_time)
        if link.text_search:
            where.append(alarm.c.type.ilike(f"%{link.text_search}%"))
        column = _SORT.get(link.sort_property or "createdTime", alarm.c.created_time)
        order = column.asc() if link.sort_order is SortOrder.ASC else column.desc()
        query = (
            sa.select(alarm)
            .where(*where)
            .order_by(order, alarm.c.id)
            .limit(link.page_size)
            .offset(link.offset)
        )
        count = sa.select(sa.func.count()).select_from(alarm).where(*where)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
            total = (await conn.execute(count)).scalar_one()
        return PageData([Alarm.from_row(r) for r in rows], total, link.page_size, link.page)

    async def highest_severity(
        self, caller: Caller, entity: tuple[EntityType, uuid.UUID], flt: AlarmFilter
    ) -> AlarmSeverity | None:
        """The most severe alarm severity of an entity under ``flt`` (None if no alarm)."""
        await self._lookup.check(caller, *entity)
        query = (
            sa.select(alarm.c.severity)
            .where(
                *self._scope(caller),
                *flt.where(),
                alarm.c.id.in_(
                    sa.select(alarm_entity.c.alarm_id).where(alarm_entity.c.entity_id == entity[1])
                ),
            )
            .distinct()
        )
        async with self._db.read() as conn:
            found = {AlarmSeverity(r[0]) for r in await conn.execute(query)}
        return next((s for s in SEVERITY_ORDER if s in found), None)

    async def types(self, caller: Caller, link: PageLink) -> PageData[str]:
        """Distinct alarm types of the caller's tenant, sorted."""
        where = self._scope(caller)
        if link.text_search:
            where.append(alarm.c.type.ilike(f"%{link.text_search}%"))
        distinct = sa.select(alarm.c.type).where(*where).distinct().subquery()
        query = (
            sa.select(distinct.c.type)
            .order_by(distinct.c.type)
            .limit(link.page_size)
            .offset(link.offset)
        )
        count = sa.select(sa.func.count()).select_from(distinct)
        async with self._db.read() as conn:
            names = [r[0] for r in await conn.execute(query)]
            total = (await conn.execute(count)).scalar_one()
        return PageData(names, total, link.page_size, link.page)

    async def infos(self, alarms: Sequence[Alarm]) -> list[Json]:
        """``AlarmInfo`` JSON: originator name/label and assignee, batched per page."""
        owners = await self._lookup.owners(
            [(a.originator.entity_type, a.originator.id) for a in alarms]
        )
        assignee_ids = {a.assignee_id for a in alarms if a.assignee_id is not None}
        labels: dict[uuid.UUID, str | None] = {}
        users: dict[uuid.UUID, Json] = {}
        async with self._db.read() as conn:
            for table, etype in (
                (schema.device, EntityType.DEVICE),
                (schema.asset, EntityType.ASSET),
            ):
                ids = [a.originator.id for a in alarms if a.originator.entity_type is etype]
                if ids:
                    query = sa.select(table.c.id, table.c.label).where(table.c.id.in_(ids))
                    labels.update({r[0]: r[1] for r in await conn.execute(query)})
            if assignee_ids:
                u = schema.user
                query = sa.select(u.c.id, u.c.first_name, u.c.last_name, u.c.email).where(
                    u.c.id.in_(assignee_ids)
                )
                for r in await conn.execute(query):
                    users[r[0]] = {
                        "id": entity_id_json(EntityType.USER, r[0]),
                        "firstName": r[1],
                        "lastName": r[2],
                        "email": r[3],
                    }
        result = []
        for a in alarms:
            owner = owners.get((a.originator.entity_type, a.originator.id))
            name = owner.name if owner is not None else None
            label = labels.get(a.originator.id)
            result.append(
                {
                    **a.to_wire(),
                    "originatorName": name,
                    "originatorLabel": label,
                    "originatorDisplayName": label or name,
                    "assignee": None if a.assignee_id is None else users.get(a.assignee_id),
                }
            )
        return result
