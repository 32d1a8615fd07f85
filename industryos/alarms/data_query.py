"""The alarm data query (platform-api §3.9 ``AlarmDataQuery``): alarms of the entities a
filter selects, as ``PageData<AlarmData>``; shared by WebSocket ALARM_DATA / ALARM_COUNT and
the REST ``/api/alarmsQuery/find`` and ``/count``.

Two SQL steps, both in the database: (1) the entity data query selects the entities (its
filter, key filters and caller scoping; at most ``max_entities``, ThingsBoard's
``allowedEntities``), (2) one alarm query over those ids, scoped again by the caller's tenant
and customer, with the page link's status/severity/type/assignee/time filters, text search,
sorting (alarm fields, the originator's name, or an entity field / latest value of the
alarm's entity: :mod:`industryos.alarms.data_sort`) and LIMIT/OFFSET. The page's
``entityFields``/``latestValues`` come from one more entity query over the page's entities.

``pageLink.textSearch`` looks in the shown ``alarmFields`` (the type when none is shown).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from industryos.alarms.data_sort import alarm_order, sort_key_names, text_search
from industryos.alarms.enums import AlarmSearchStatus, AlarmSeverity
from industryos.alarms.model import Alarm
from industryos.alarms.queries import AlarmFilter, AlarmQueries
from industryos.alarms.schema import alarm, alarm_entity
from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, PermissionDenied
from industryos.entities.ids import EntityType, entity_id_json, now_ms
from industryos.entities.paging import SortOrder
from industryos.entities.query import (
    EntityCountQuery,
    EntityDataQuery,
    EntityKey,
    EntityQueryService,
    parse_data_query,
    parse_keys,
)
from industryos.entities.query.model import QueryPageLink
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = [
    "AlarmCountQuery",
    "AlarmDataPage",
    "AlarmDataQueries",
    "AlarmDataQuery",
    "AlarmQueryLink",
    "parse_alarm_count_query",
    "parse_alarm_data_query",
]

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlarmQueryLink:
    """The alarm part of an alarm query's ``pageLink`` (the count query uses the filters)."""

    page_size: int = 10
    page: int = 0
    text_search: str | None = None
    sort_key: EntityKey | None = None
    direction: SortOrder = SortOrder.DESC
    start_ts: int = 0
    end_ts: int = 0
    time_window: int = 0
    types: tuple[str, ...] = ()
    statuses: tuple[AlarmSearchStatus, ...] = ()
    severities: tuple[AlarmSeverity, ...] = ()
    search_propagated: bool = False
    assignee_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class AlarmCountQuery(EntityCountQuery):
    """``AlarmCountQuery {entityFilter, keyFilters, pageLink}``."""

    link: AlarmQueryLink = field(default_factory=AlarmQueryLink)


@dataclass(frozen=True, slots=True)
class AlarmDataQuery(AlarmCountQuery):
    """``AlarmDataQuery``: plus the entity columns shown next to each alarm."""

    entity_fields: tuple[EntityKey, ...] = ()
    latest_values: tuple[EntityKey, ...] = ()
    alarm_fields: tuple[EntityKey, ...] = ()


def _strings(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidArgument(f"'{name}' must be a list")
    return [str(v) for v in value]


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidArgument(f"'{name}' must be a number")
    return int(value)


def _link(raw: Any, paged: QueryPageLink) -> AlarmQueryLink:
    data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    try:
        statuses = tuple(AlarmSearchStatus(s) for s in _strings(data, "statusList"))
        severities = tuple(AlarmSeverity(s) for s in _strings(data, "severityList"))
        assignee = data.get("assigneeId")
        if isinstance(assignee, Mapping):
            assignee = assignee.get("id")
        assignee_id = uuid.UUID(str(assignee)) if assignee else None
    except ValueError as exc:
        raise InvalidArgument(f"Invalid alarm page link: {exc}") from None
    sort = data.get("sortOrder")
    return AlarmQueryLink(
        page_size=paged.page_size,
        page=paged.page,
        text_search=paged.text_search,
        sort_key=paged.sort_key,
        direction=paged.direction if isinstance(sort, Mapping) else SortOrder.DESC,
        start_ts=_int(data, "startTs"),
        end_ts=_int(data, "endTs"),
        time_window=_int(data, "timeWindow"),
        types=tuple(_strings(data, "typeList")),
        statuses=statuses,
        severities=severities,
        search_propagated=bool(data.get("searchPropagatedAlarms", False)),
        assignee_id=assignee_id,
    )


def parse_alarm_data_query(raw: Any) -> AlarmDataQuery:
    """``AlarmDataQuery`` JSON → value; bad input → InvalidArgument (400 / BAD_REQUEST)."""
    base = parse_data_query(raw)
    data: Mapping[str, Any] = raw
    alarm_fields = parse_keys(data.get("alarmFields"), "alarmFields")
    return AlarmDataQuery(
        base.entity_filter,
        base.key_filters,
        base.key_filters_operation,
        link=_link(data.get("pageLink"), base.page_link),
        entity_fields=base.entity_fields,
        latest_values=base.latest_values,
        alarm_fields=alarm_fields,
    )


_COUNT_FIELDS = (
    "startTs",
    "endTs",
    "timeWindow",
    "typeList",
    "statusList",
    "severityList",
    "searchPropagatedAlarms",
    "assigneeId",
)


def parse_alarm_count_query(raw: Any) -> AlarmCountQuery:
    """``AlarmCountQuery`` JSON → value; its filters at the top level (as ThingsBoard sends
    them) or in a ``pageLink``."""
    if not isinstance(raw, Mapping):
        raise InvalidArgument("'query' must be an object")
    link = raw.get("pageLink")
    fields = {**(link if isinstance(link, Mapping) else {})}
    fields.update({name: raw[name] for name in _COUNT_FIELDS if name in raw})
    fields.pop("pageSize", None)
    fields.pop("page", None)
    query = parse_alarm_data_query({**raw, "pageLink": fields})
    return AlarmCountQuery(
        query.entity_filter, query.key_filters, query.key_filters_operation, link=query.link
    )


@dataclass(frozen=True, slots=True)
class AlarmDataPage:
    """One page of ``AlarmData`` plus what a live subscription needs to follow it."""

    data: list[Json]
    total_elements: int
    page_size: int
    page: int
    total_entities: int
    entity_ids: frozenset[uuid.UUID]
    """The entities the alarms were searched for (at most ``max_entities``)."""

    @property
    def alarm_ids(self) -> list[str]:
        """Ids of the page's alarms, in page order."""
        return [str(item["id"]["id"]) for item in self.data]

    def to_wire(self) -> Json:
        """``PageData<AlarmData>``."""
        total_pages = -(-self.total_elements // self.page_size) if self.page_size else 0
        return {
            "data": self.data,
            "totalPages": total_pages,
            "totalElements": self.total_elements,
            "hasNext": (self.page + 1) * self.page_size < self.total_elements,
        }


class AlarmDataQueries:
    """Runs alarm data and count queries for a caller, scoped to its tenant/customer."""

    def __init__(self, db: Database, entities: EntityQueryService, infos: AlarmQueries) -> None:
        self._db = db
        self._entities = entities
        self._infos = infos

    async def _entity_ids(
        self, caller: Caller, query: AlarmCountQuery, max_entities: int
    ) -> tuple[dict[uuid.UUID, EntityType], int]:
        found = await self._entities.find(
            caller,
            EntityDataQuery(
                query.entity_filter,
                query.key_filters,
                query.key_filters_operation,
                page_link=QueryPageLink(page_size=max_entities),
            ),
        )
        return {item.entity_id: item.entity_type for item in found.data}, found.total_elements

    def _where(
        self,
        caller: Caller,
        link: AlarmQueryLink,
        ids: Sequence[uuid.UUID],
        alarm_fields: Sequence[EntityKey] = (),
    ) -> list[sa.ColumnElement[bool]]:
        if caller.is_sys_admin:
            raise PermissionDenied()
        where = [alarm.c.tenant_id == caller.tenant_id]
        if caller.is_customer_user:
            where.append(alarm.c.customer_id == caller.customer_id)
        if link.search_propagated:
            where.append(
                alarm.c.id.in_(
                    sa.select(alarm_entity.c.alarm_id).where(alarm_entity.c.entity_id.in_(ids))
                )
            )
        else:
            where.append(alarm.c.originator_id.in_(ids))
        where += AlarmFilter(
            search_statuses=link.statuses,
            severities=link.severities,
            types=link.types,
            assignee_id=link.assignee_id,
        ).where()
        if link.time_window > 0:
            where.append(alarm.c.created_time >= now_ms() - link.time_window)
        else:
            if link.start_ts > 0:
                where.append(alarm.c.created_time >= link.start_ts)
            if link.end_ts > 0:
                where.append(alarm.c.created_time <= link.end_ts)
        if link.text_search:
            where.append(text_search(link.text_search, alarm_fields))
        return where

    async def count(self, caller: Caller, query: AlarmCountQuery, max_entities: int) -> int:
        """How many alarms of the selected entities match the filters."""
        ids, _ = await self._entity_ids(caller, query, max_entities)
        if not ids:
            return 0
        statement = (
            sa.select(sa.func.count())
            .select_from(alarm)
            .where(*self._where(caller, query.link, list(ids)))
        )
        async with self._db.read() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def find(self, caller: Caller, query: AlarmDataQuery, max_entities: int) -> AlarmDataPage:
        """One page of ``AlarmData`` (AlarmInfo + ``entityId`` + ``latest``)."""
        link = query.link
        ids, total_entities = await self._entity_ids(caller, query, max_entities)
        if not ids:
            return AlarmDataPage([], 0, link.page_size, link.page, total_entities, frozenset())
        where = self._where(caller, link, list(ids), query.alarm_fields)
        count_query = sa.select(sa.func.count()).select_from(alarm).where(*where)
        async with self._db.read() as conn:
            total = int((await conn.execute(count_query)).scalar_one())
            rows: Sequence[Any] = []
            if total:
                order = alarm_order(
                    caller,
                    link.sort_key,
                    link.direction,
                    ids,
                    link.search_propagated,
                    await _key_ids(conn, sort_key_names(link.sort_key)),
                )
                page_query = (
                    sa.select(alarm)
                    .where(*where)
                    .order_by(*order)
                    .limit(link.page_size)
                    .offset(link.page * link.page_size)
                )
                rows = (await conn.execute(page_query)).mappings().all()
            alarms = [Alarm.from_row(r) for r in rows]
            shown_under = await self._shown_under(conn, alarms, ids, link.search_propagated)
        infos = await self._infos.infos(alarms)
        latest = await self._latest(caller, query, set(shown_under.values()), ids)
        data = []
        for item, found in zip(infos, alarms, strict=True):
            entity_id = shown_under.get(found.id, found.originator.id)
            entity_type = ids.get(entity_id, found.originator.entity_type)
            item["entityId"] = entity_id_json(entity_type, entity_id)
            item["latest"] = latest.get(entity_id, {})
            data.append(item)
        return AlarmDataPage(data, total, link.page_size, link.page, total_entities, frozenset(ids))

    async def _shown_under(
        self,
        conn: Any,
        alarms: list[Alarm],
        ids: Mapping[uuid.UUID, EntityType],
        propagated: bool,
    ) -> dict[uuid.UUID, uuid.UUID]:
        """The selected entity each alarm is listed for: its originator when selected, else
        the smallest selected id it propagated to (as :func:`.data_sort.listed_entity`)."""
        under = {a.id: a.originator.id for a in alarms if a.originator.id in ids}
        missing = [a.id for a in alarms if a.id not in under]
        if propagated and missing:
            query = sa.select(alarm_entity.c.alarm_id, alarm_entity.c.entity_id).where(
                alarm_entity.c.alarm_id.in_(missing), alarm_entity.c.entity_id.in_(list(ids))
            )
            for alarm_id, entity_id in await conn.execute(query):
                if alarm_id not in under or entity_id < under[alarm_id]:
                    under[alarm_id] = entity_id
        return under

    async def _latest(
        self,
        caller: Caller,
        query: AlarmDataQuery,
        shown: set[uuid.UUID],
        ids: Mapping[uuid.UUID, EntityType],
    ) -> dict[uuid.UUID, Any]:
        """``latest`` of each shown entity: its ``entityFields`` and ``latestValues``."""
        if not shown or not (query.entity_fields or query.latest_values):
            return {}
        by_type: dict[EntityType, list[str]] = {}
        for entity_id in shown:
            by_type.setdefault(ids[entity_id], []).append(str(entity_id))
        latest: dict[uuid.UUID, Any] = {}
        for entity_type, type_ids in by_type.items():
            page = await self._entities.find(
                caller,
                EntityDataQuery(
                    {"type": "entityList", "entityType": entity_type.value, "entityList": type_ids},
                    entity_fields=query.entity_fields,
                    latest_values=query.latest_values,
                    page_link=QueryPageLink(page_size=len(type_ids)),
                ),
            )
            latest.update({item.entity_id: item.to_wire()["latest"] for item in page.data})
        return latest


async def _key_ids(conn: Any, names: list[str]) -> dict[str, int]:
    """Key ids of telemetry/attribute key names (a name never written has none)."""
    if not names:
        return {}
    kd = schema.key_dictionary
    rows = await conn.execute(sa.select(kd.c.key, kd.c.key_id).where(kd.c.key.in_(names)))
    return {str(key): int(key_id) for key, key_id in rows}
