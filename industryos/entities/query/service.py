"""The entity data query service: find a page, count, list keys (platform-api §3.9).

One SQL statement per page (plus one for the total): the scoped entity subquery, outer
joins for every key involved, key filters, text search, sorting and LIMIT/OFFSET, all in
the database. Values come back as typed columns and are rendered as ThingsBoard renders
them (strings; a missing key is ``{"ts": 0, "value": ""}``; entity fields carry the query
time). The WebSocket ENTITY_DATA subscription uses the same service for its first page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.errors import PermissionDenied
from industryos.entities.ids import EntityType, now_ms
from industryos.entities.paging import SortOrder
from industryos.entities.query.filters import build_filter
from industryos.entities.query.keys import ComplexOperation, EntityKeyType
from industryos.entities.query.model import EntityCountQuery, EntityDataQuery, EntityKey
from industryos.entities.query.render import EntityData, render_row
from industryos.entities.query.sources import distinct_fields, entity_set
from industryos.entities.query.values import KeyJoins, key_condition
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.timeseries.keys import KeyDictionary
from industryos.storage.timeseries.schema import ts_kv_latest
from industryos.telemetry.kv import AttributeScope

__all__ = ["EntityPage", "EntityQueryService"]


@dataclass(frozen=True, slots=True)
class EntityPage:
    """One page of entity data with the totals the client pages by."""

    data: list[EntityData]
    total_elements: int
    page_size: int
    page: int

    def to_wire(self) -> dict[str, Any]:
        """``PageData<EntityData>``."""
        total_pages = -(-self.total_elements // self.page_size) if self.page_size else 0
        return {
            "data": [item.to_wire() for item in self.data],
            "totalPages": total_pages,
            "totalElements": self.total_elements,
            "hasNext": (self.page + 1) * self.page_size < self.total_elements,
        }


def _check_caller(caller: Caller) -> None:
    if caller.is_sys_admin:
        raise PermissionDenied()


def _field_names(keys: Iterable[EntityKey]) -> list[str]:
    return [key.key for key in keys if key.type is EntityKeyType.ENTITY_FIELD]


class EntityQueryService:
    """Runs entity data and count queries for a caller, scoped to its tenant/customer."""

    def __init__(self, db: Database, keys: KeyDictionary) -> None:
        self._db = db
        self._keys = keys

    async def _key_ids(self, keys: Iterable[EntityKey]) -> dict[str, int]:
        names = {k.key for k in keys if k.type is not EntityKeyType.ENTITY_FIELD}
        return await self._keys.find(names) if names else {}

    def _filtered(
        self,
        caller: Caller,
        query: EntityCountQuery,
        fields: Sequence[str],
        key_ids: dict[str, int],
    ) -> tuple[KeyJoins, list[sa.ColumnElement[bool]]]:
        wanted = build_filter(query.entity_filter, caller)
        entities = entity_set(caller, wanted, fields)
        joins = KeyJoins(entities, key_ids)
        conditions = [key_condition(joins, f) for f in query.key_filters]
        if conditions and query.key_filters_operation is ComplexOperation.OR:
            conditions = [sa.or_(*conditions)]
        return joins, conditions

    async def count(self, caller: Caller, query: EntityCountQuery) -> int:
        """How many entities match ``query``."""
        _check_caller(caller)
        filter_keys = [f.key for f in query.key_filters]
        key_ids = await self._key_ids(filter_keys)
        joins, conditions = self._filtered(caller, query, _field_names(filter_keys), key_ids)
        statement = sa.select(sa.func.count()).select_from(joins.from_clause).where(*conditions)
        async with self._db.read() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def find(self, caller: Caller, query: EntityDataQuery) -> EntityPage:
        """One page of entities with their entity fields and latest values."""
        _check_caller(caller)
        link = query.page_link
        filter_keys = [f.key for f in query.key_filters]
        sort_keys = [link.sort_key] if link.sort_key is not None else []
        shown = [*query.entity_fields, *query.latest_values]
        key_ids = await self._key_ids([*shown, *filter_keys, *sort_keys])
        fields = distinct_fields(
            _field_names(shown), _field_names(filter_keys), _field_names(sort_keys)
        )
        joins, conditions = self._filtered(caller, query, fields, key_ids)
        shown_columns = [joins.columns(key) for key in dict.fromkeys(shown)]
        if link.text_search:
            pattern = "%" + link.text_search.lower() + "%"
            texts = [sa.func.lower(c.text()).like(pattern) for c in shown_columns]
            conditions.append(sa.or_(*texts) if texts else sa.false())
        order: list[sa.ColumnElement[Any]] = []
        for key in sort_keys:
            for column in joins.columns(key).sort_columns():
                ordered = column.desc() if link.direction is SortOrder.DESC else column.asc()
                order.append(ordered.nulls_last())
        e = joins.entities
        order.append(e.c.id.asc())
        select_columns: list[sa.ColumnElement[Any]] = [e.c.id, e.c.entity_type]
        for columns in shown_columns:
            if columns.field is not None:
                select_columns.append(columns.field)
            elif columns.ts is not None:
                select_columns += [columns.ts, *columns.values]
        page_query = (
            sa.select(*select_columns)
            .select_from(joins.from_clause)
            .where(*conditions)
            .order_by(*order)
            .limit(link.page_size)
            .offset(link.page * link.page_size)
        )
        count_query = sa.select(sa.func.count()).select_from(joins.from_clause).where(*conditions)
        async with self._db.read() as conn:
            total = int((await conn.execute(count_query)).scalar_one())
            rows = (await conn.execute(page_query)).all() if total else []
        now = now_ms()
        data = [render_row(row, shown_columns, now) for row in rows]
        return EntityPage(data, total, link.page_size, link.page)

    async def find_keys(
        self,
        caller: Caller,
        query: EntityDataQuery,
        *,
        timeseries: bool,
        attributes: bool,
        scope: AttributeScope | None,
    ) -> dict[str, Any]:
        """``AvailableEntityKeys``: key names of the entities on the query's page."""
        page = await self.find(caller, query)
        ids = [item.entity_id for item in page.data]
        types = sorted({item.entity_type.value for item in page.data})
        result: dict[str, Any] = {"entityTypes": types, "timeseries": [], "attribute": []}
        if not ids:
            return result
        kd = schema.key_dictionary
        async with self._db.read() as conn:
            if timeseries:
                ts_query = (
                    sa.select(kd.c.key)
                    .distinct()
                    .join(ts_kv_latest, ts_kv_latest.c.key == kd.c.key_id)
                    .where(ts_kv_latest.c.entity_id.in_(ids))
                    .order_by(kd.c.key)
                )
                result["timeseries"] = list((await conn.execute(ts_query)).scalars())
            if attributes:
                a = schema.attribute_kv
                attr_query = (
                    sa.select(kd.c.key)
                    .distinct()
                    .join(a, a.c.attribute_key == kd.c.key_id)
                    .where(a.c.entity_id.in_(ids))
                    .order_by(kd.c.key)
                )
                if scope is not None:
                    attr_query = attr_query.where(a.c.attribute_type == scope.value)
                result["attribute"] = list((await conn.execute(attr_query)).scalars())
        return result


def entity_ref(entity_type: EntityType, entity_id: uuid.UUID) -> dict[str, str]:
    """The wire form of an entity id (re-exported for callers of this service)."""
    return {"entityType": entity_type.value, "id": str(entity_id)}
