"""Reading and clearing rule events for the events REST (ThingsBoard's ``EventController``).

Events are always read within the caller's tenant. Rule nodes and rule chains belong to a
tenant administrator (a customer user is refused), other entity types go through the
generic ownership check (they have no rule events, but the answer must not reveal whether
another tenant's entity exists). An ``EventFilter`` (its ``eventType`` picks the columns)
becomes SQL conditions, one table entry per filter field.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import EntityType
from industryos.entities.models import Authority
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.rules.events.model import Event, EventType, event_type
from industryos.rules.events.schema import rule_event
from industryos.rules.schema import rule_chain, rule_node
from industryos.storage.database import Database

__all__ = ["EventQueries", "filter_conditions"]

Json = dict[str, Any]
Condition = sa.ColumnElement[bool]
Column = sa.ColumnElement[Any]

_c = rule_event.c


def _ilike(column: Column) -> Callable[[Any], Condition]:
    return lambda value: column.ilike(f"%{value}%")


def _equals(column: Column) -> Callable[[Any], Condition]:
    return lambda value: column == str(value)


def _uuid_equals(column: Column) -> Callable[[Any], Condition]:
    def condition(value: Any) -> Condition:
        try:
            return column == uuid.UUID(str(value))
        except ValueError:
            raise InvalidArgument(f"Invalid UUID string: {value}") from None

    return condition


def _is_error(value: Any) -> Condition:
    return _c.error.is_not(None) if value is True or value == "true" else sa.true()


def _status(value: Any) -> Condition:
    return _c.success.is_(str(value).lower() == "success")


def _at_least(column: Column) -> Callable[[Any], Condition]:
    return lambda value: column >= int(value)


def _at_most(column: Column) -> Callable[[Any], Condition]:
    return lambda value: column <= int(value)


_COMMON: dict[str, Callable[[Any], Condition]] = {
    "server": _equals(_c.server),
    "errorStr": _ilike(_c.error),
}
_DEBUG = {
    **_COMMON,
    "isError": _is_error,
    "msgDirectionType": _equals(_c.kind),
    "entityId": _uuid_equals(_c.originator_id),
    "entityType": _equals(_c.originator_type),
    "msgId": _uuid_equals(_c.msg_id),
    "msgType": _equals(_c.msg_type),
    "relationType": _equals(_c.relation_type),
    "dataSearch": _ilike(_c.data),
    "metadataSearch": _ilike(_c.metadata),
}
_FILTERS: dict[EventType, dict[str, Callable[[Any], Condition]]] = {
    EventType.DEBUG_RULE_NODE: _DEBUG,
    EventType.DEBUG_RULE_CHAIN: _DEBUG,
    EventType.ERROR: {**_COMMON, "method": _equals(_c.kind)},
    EventType.LC_EVENT: {**_COMMON, "event": _equals(_c.kind), "status": _status},
    EventType.STATS: {
        **_COMMON,
        "minMessagesProcessed": _at_least(_c.messages_processed),
        "maxMessagesProcessed": _at_most(_c.messages_processed),
        "minErrorsOccurred": _at_least(_c.errors_occurred),
        "maxErrorsOccurred": _at_most(_c.errors_occurred),
    },
}
"""Per event type: ``EventFilter`` field → SQL condition (empty values are ignored)."""


def filter_conditions(body: Any) -> tuple[EventType, list[Condition]]:
    """The event type and SQL conditions of an ``EventFilter`` body."""
    if not isinstance(body, dict) or not isinstance(body.get("eventType"), str):
        raise InvalidArgument("eventType should be specified!")
    kind = event_type(body["eventType"])
    if kind is None:
        raise InvalidArgument(f"Event type: '{body['eventType']}' is not supported!")
    fields = _FILTERS[kind]
    conditions = [
        fields[key](value)
        for key, value in body.items()
        if key in fields and value is not None and value != "" and value is not False
    ]
    return kind, conditions


class EventQueries:
    """Pages and deletes events of one entity, for callers allowed to see it."""

    def __init__(self, db: Database, lookup: EntityLookup) -> None:
        self._db = db
        self._lookup = lookup

    async def check(self, caller: Caller, entity_type: EntityType, entity_id: uuid.UUID) -> None:
        """NotFound/PermissionDenied unless ``caller`` may see the entity's events."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        if entity_type in (EntityType.RULE_NODE, EntityType.RULE_CHAIN):
            if caller.authority is not Authority.TENANT_ADMIN:
                raise PermissionDenied()
            if entity_type is EntityType.RULE_NODE:
                query = (
                    sa.select(rule_chain.c.tenant_id)
                    .select_from(
                        rule_node.join(rule_chain, rule_node.c.rule_chain_id == rule_chain.c.id)
                    )
                    .where(rule_node.c.id == entity_id)
                )
            else:
                query = sa.select(rule_chain.c.tenant_id).where(rule_chain.c.id == entity_id)
            async with self._db.read() as conn:
                tenant_id = (await conn.execute(query)).scalar()
            if tenant_id != caller.tenant_id:
                raise NotFound()
            return
        await self._lookup.check(caller, entity_type, entity_id)

    def _where(
        self,
        caller: Caller,
        entity_id: uuid.UUID,
        kind: EventType,
        conditions: list[Condition],
        start: int | None,
        end: int | None,
    ) -> list[Condition]:
        where = [
            _c.tenant_id == caller.tenant_id,
            _c.entity_id == entity_id,
            _c.event_type == kind.value,
            *conditions,
        ]
        if start is not None:
            where.append(_c.created_time >= start)
        if end is not None:
            where.append(_c.created_time <= end)
        return where

    async def page(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        kind: EventType,
        link: PageLink,
        conditions: list[Condition] | None = None,
    ) -> PageData[Event]:
        """A page of the entity's events of one type, newest first unless asked otherwise."""
        await self.check(caller, entity_type, entity_id)
        where = self._where(
            caller, entity_id, kind, conditions or [], link.start_time, link.end_time
        )
        column = _c.id if link.sort_property == "id" else _c.created_time
        ascending = link.sort_property is not None and link.sort_order is SortOrder.ASC
        order = (column.asc(), _c.id.asc()) if ascending else (column.desc(), _c.id.desc())
        query = (
            sa.select(rule_event)
            .where(*where)
            .order_by(*order)
            .limit(link.page_size)
            .offset(link.offset)
        )
        count = sa.select(sa.func.count()).select_from(rule_event).where(*where)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).mappings().all()
            total = (await conn.execute(count)).scalar_one()
        return PageData([Event.from_row(r) for r in rows], total, link.page_size, link.page)

    async def clear(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        body: Any,
        start: int | None,
        end: int | None,
    ) -> int:
        """Delete the entity's events matching an ``EventFilter``; the number deleted."""
        await self.check(caller, entity_type, entity_id)
        kind, conditions = filter_conditions(body)
        where = self._where(caller, entity_id, kind, conditions, start, end)
        async with self._db.transaction() as conn:
            result = await conn.execute(sa.delete(rule_event).where(*where))
        return int(result.rowcount or 0)
