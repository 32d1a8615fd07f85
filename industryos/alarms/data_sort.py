"""ORDER BY of an alarm data query (``AlarmDataQuery.pageLink.sortOrder``), as SQL on both
engines: never sorted in Python.

* ``ALARM_FIELD`` keys are alarm columns (severity by rank, CRITICAL first ascending, as in
  ThingsBoard), with ThingsBoard's aliases (``ackTime``, ``startTime``…); ``originator`` and
  ``originatorLabel`` are the originator's name and label, looked up in its table by
  ``originator_type``; ``assignee`` is the assignee's email.
* Any other key (``ENTITY_FIELD``, ``ATTRIBUTE`` and its scopes, ``TIME_SERIES``) is the
  value of that key for the entity each alarm is listed under (its originator, or with
  ``searchPropagatedAlarms`` the selected entity it propagated to, the originator first),
  read by a correlated subquery on a caller-scoped entity subquery carrying the key's sort
  columns, built by the entity query's :class:`KeyJoins` (numbers sort as numbers, then
  text; a missing value sorts last). ThingsBoard orders the entities by the key in its
  entity query and the alarms by their entity's position; this gives the same order.
  (A correlated subquery, not a join: SQLite does not resolve the alarm's columns inside a
  subquery of a join's ON clause.)

Ties fall back to the alarm's creation time (newest first), then its id, so pages are stable.
The same alarm-field expressions serve ``textSearch`` (:func:`text_search`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Any

import sqlalchemy as sa

from industryos.alarms.enums import SEVERITY_ORDER
from industryos.alarms.schema import alarm, alarm_entity
from industryos.entities.access import Caller
from industryos.entities.ids import EntityType
from industryos.entities.paging import SortOrder
from industryos.entities.query import EntityKey
from industryos.entities.query.keys import EntityKeyType
from industryos.entities.query.sources import SOURCES, TypedWhere, entity_set
from industryos.entities.query.values import KeyJoins
from industryos.storage import schema

__all__ = ["alarm_order", "listed_entity", "sort_key_names", "text_search"]

Col = sa.ColumnElement[Any]

_SEVERITY_RANK = sa.case(
    {s.value: n for n, s in enumerate(SEVERITY_ORDER)}, value=alarm.c.severity, else_=99
)


def _originator(field: str) -> Col:
    """The originator's entity field ``field`` (NULL for types without it)."""
    whens: dict[str, Any] = {}
    for entity_type, src in SOURCES.items():
        column = src.fields.get(field)
        if column is not None:
            table = src.table
            lookup = sa.select(sa.cast(table.c[column], sa.Text()))
            whens[entity_type.value] = lookup.where(
                table.c.id == alarm.c.originator_id
            ).scalar_subquery()
    return sa.case(whens, value=alarm.c.originator_type, else_=sa.null())


def _assignee(column: str) -> Col:
    user = schema.user
    return sa.select(user.c[column]).where(user.c.id == alarm.c.assignee_id).scalar_subquery()


_ALARM_FIELDS: dict[str, Col] = {
    "createdTime": alarm.c.created_time,
    "startTs": alarm.c.start_ts,
    "startTime": alarm.c.start_ts,
    "endTs": alarm.c.end_ts,
    "endTime": alarm.c.end_ts,
    "ackTs": alarm.c.ack_ts,
    "ackTime": alarm.c.ack_ts,
    "clearTs": alarm.c.clear_ts,
    "clearTime": alarm.c.clear_ts,
    "assignTs": alarm.c.assign_ts,
    "type": alarm.c.type,
    "severity": _SEVERITY_RANK,
    "status": alarm.c.cleared,
    "cleared": alarm.c.cleared,
    "acknowledged": alarm.c.acknowledged,
    "originatorId": alarm.c.originator_id,
    "originatorType": alarm.c.originator_type,
    "originator": _originator("name"),
    "originatorLabel": _originator("label"),
    "assigneeId": alarm.c.assignee_id,
    "assignee": _assignee("email"),
    "assigneeEmail": _assignee("email"),
    "assigneeFirstName": _assignee("first_name"),
    "assigneeLastName": _assignee("last_name"),
}
"""``ALARM_FIELD`` sort keys (an unknown one sorts by ``createdTime``)."""


_STATUS_TEXT = sa.case(
    (sa.and_(alarm.c.cleared.is_(False), alarm.c.acknowledged.is_(False)), "ACTIVE_UNACK"),
    (sa.and_(alarm.c.cleared.is_(False), alarm.c.acknowledged.is_(True)), "ACTIVE_ACK"),
    (alarm.c.acknowledged.is_(False), "CLEARED_UNACK"),
    else_="CLEARED_ACK",
)
_TEXT_FIELDS: dict[str, Col] = {
    **_ALARM_FIELDS,
    "severity": alarm.c.severity,
    "status": _STATUS_TEXT,
    "cleared": _STATUS_TEXT,
    "acknowledged": _STATUS_TEXT,
}


def text_search(text: str, alarm_fields: Collection[EntityKey]) -> Col:
    """``pageLink.textSearch``: ``text`` in any shown alarm field (as ThingsBoard: contained,
    case-insensitive; severity and status as their names), or in the type when no alarm
    field is shown."""
    columns = [
        _TEXT_FIELDS[key.key]
        for key in alarm_fields
        if key.type is EntityKeyType.ALARM_FIELD and key.key in _TEXT_FIELDS
    ] or [alarm.c.type]
    needle = text.lower()
    return sa.or_(
        *(
            sa.func.lower(sa.cast(column, sa.Text())).contains(needle, autoescape=True)
            for column in dict.fromkeys(columns)
        )
    )


def listed_entity(ids: Collection[uuid.UUID], propagated: bool) -> Col:
    """The selected entity an alarm is listed under: its originator when selected, else
    (propagated search) the smallest selected entity id it propagated to.

    Two correlated subqueries rather than one ordered by "originator first": SQLite does not
    resolve outer columns in a subquery's ORDER BY. The ids are bound in each (with the
    WHERE clause's, three times: under both engines' 32,766-parameter limit up to 10,000).
    """
    if not propagated:
        return alarm.c.originator_id
    selected = list(ids)
    own, other = alarm_entity.alias("listed_own"), alarm_entity.alias("listed_other")
    originator = sa.select(own.c.entity_id).where(
        own.c.alarm_id == alarm.c.id,
        own.c.entity_id == alarm.c.originator_id,
        own.c.entity_id.in_(selected),
    )
    smallest = (
        sa.select(other.c.entity_id)
        .where(other.c.alarm_id == alarm.c.id, other.c.entity_id.in_(selected))
        .order_by(other.c.entity_id)
        .limit(1)
    )
    return sa.func.coalesce(
        originator.correlate(alarm).scalar_subquery(), smallest.correlate(alarm).scalar_subquery()
    )


def sort_key_names(sort_key: EntityKey | None) -> list[str]:
    """Telemetry/attribute key names the sort needs resolved to key ids."""
    if sort_key is None or sort_key.type in (EntityKeyType.ALARM_FIELD, EntityKeyType.ENTITY_FIELD):
        return []
    return [sort_key.key]


def _directed(column: Col, direction: SortOrder) -> Col:
    ordered = column.asc() if direction is SortOrder.ASC else column.desc()
    return ordered.nulls_last()


def alarm_order(
    caller: Caller,
    sort_key: EntityKey | None,
    direction: SortOrder,
    ids: Mapping[uuid.UUID, EntityType],
    propagated: bool,
    key_ids: Mapping[str, int],
) -> list[Col]:
    """The ORDER BY of the page query (over ``alarm``) for ``sort_key``."""
    tail: list[Col] = [alarm.c.created_time.desc(), alarm.c.id.asc()]
    if sort_key is None:
        return tail
    if sort_key.type is EntityKeyType.ALARM_FIELD:
        column = _ALARM_FIELDS.get(sort_key.key, alarm.c.created_time)
        return [_directed(column, direction), alarm.c.id.asc()]
    fields = [sort_key.key] if sort_key.type is EntityKeyType.ENTITY_FIELD else []
    wanted = TypedWhere({entity_type: None for entity_type in set(ids.values())})
    joins = KeyJoins(entity_set(caller, wanted, fields), key_ids)
    columns = joins.columns(sort_key).sort_columns()
    entity_id = joins.entities.c.id
    values = (
        sa.select(entity_id.label("sort_id"), *(c.label(f"v{n}") for n, c in enumerate(columns)))
        .select_from(joins.from_clause)
        .subquery("sorted_entity")
    )
    listed = listed_entity(ids, propagated)
    order = [
        _directed(
            sa.select(values.c[f"v{n}"]).where(values.c.sort_id == listed).scalar_subquery(),
            direction,
        )
        for n in range(len(columns))
    ]
    return [*order, listed.asc(), *tail]
