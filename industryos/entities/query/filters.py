"""Entity filters (platform-api §3.9) to SQL: which types, and a condition per type.

:data:`FILTERS` maps each supported ``type`` to a builder; a type the spec lists but this
platform does not serve yet (entity views, edges, search queries, API usage) is refused
with a 400 naming it. A relations query walks the ``relation`` table with a recursive CTE
in the database (same SQL on SQLite and PostgreSQL), never level by level in Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType
from industryos.entities.query.keys import EntityFilterType
from industryos.entities.query.sources import SOURCES, TypedWhere, source
from industryos.storage import schema
from industryos.storage.relations import MAX_LEVELS

__all__ = ["FILTERS", "build_filter"]

Json = Mapping[str, Any]
Builder = Callable[[Json, Caller], TypedWhere]


def _uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidArgument(f"Invalid UUID in '{what}': {value}") from None


def _entity_type(value: Any) -> EntityType:
    try:
        entity_type = EntityType(value)
    except ValueError:
        raise InvalidArgument(f"Unsupported entity type: {value}") from None
    source(entity_type)
    return entity_type


def _prefix(column: sa.ColumnElement[Any], prefix: Any) -> sa.ColumnElement[bool] | None:
    """Case-insensitive prefix match; ``%`` in the filter is a wildcard, as in ThingsBoard."""
    if not prefix:
        return None
    return sa.func.lower(column).like(str(prefix).lower() + "%")


def _single_entity(data: Json, caller: Caller) -> TypedWhere:
    ref = data.get("singleEntity")
    if not isinstance(ref, Mapping):
        raise InvalidArgument("singleEntity filter needs 'singleEntity'")
    entity_type = _entity_type(ref.get("entityType"))
    entity_id = _uuid(ref.get("id"), "singleEntity")
    return TypedWhere({entity_type: lambda t: t.c.id == entity_id})


def _entity_list(data: Json, caller: Caller) -> TypedWhere:
    entity_type = _entity_type(data.get("entityType"))
    ids = [_uuid(value, "entityList") for value in data.get("entityList") or []]
    return TypedWhere({entity_type: lambda t: t.c.id.in_(ids)})


def _entity_name(data: Json, caller: Caller) -> TypedWhere:
    entity_type = _entity_type(data.get("entityType"))
    name = source(entity_type).name

    def condition(table: sa.Table) -> sa.ColumnElement[bool]:
        # A clause has no truth value, so no ``or`` fallback here.
        found = _prefix(table.c[name], data.get("entityNameFilter"))
        return sa.true() if found is None else found

    return TypedWhere({entity_type: condition})


def _entity_type_filter(data: Json, caller: Caller) -> TypedWhere:
    return TypedWhere({_entity_type(data.get("entityType")): None})


def _typed(entity_type: EntityType, types_field: str, legacy: str, name_field: str) -> Builder:
    """``deviceType``/``assetType``: a list of types (or the legacy single one) + name prefix."""

    def build(data: Json, caller: Caller) -> TypedWhere:
        types = [str(t) for t in data.get(types_field) or []]
        if not types and data.get(legacy):
            types = [str(data[legacy])]
        src = SOURCES[entity_type]
        name_prefix = data.get(name_field)

        def where(table: sa.Table) -> sa.ColumnElement[bool]:
            conditions: list[sa.ColumnElement[bool]] = []
            if types:
                assert src.type is not None
                conditions.append(table.c[src.type].in_(types))
            prefix = _prefix(table.c[src.name], name_prefix)
            if prefix is not None:
                conditions.append(prefix)
            return sa.and_(sa.true(), *conditions)

        return TypedWhere({entity_type: where})

    return build


def _relations_query(data: Json, caller: Caller) -> TypedWhere:
    """Entities reachable from the root(s) along relations, as one recursive CTE."""
    rel = schema.relation
    direction = str(data.get("direction") or "FROM")
    if direction not in ("FROM", "TO"):
        raise InvalidArgument(f"Unsupported relation direction: {direction}")
    if data.get("negate"):
        raise InvalidArgument("Negated relation queries are not supported")
    near, far = ("from", "to") if direction == "FROM" else ("to", "from")
    roots = _roots(data)
    max_level = int(data.get("maxLevel") or 0)
    max_level = MAX_LEVELS if max_level <= 0 else min(max_level, MAX_LEVELS)
    filters = [f for f in data.get("filters") or [] if isinstance(f, Mapping)]
    relation_types = {str(f["relationType"]) for f in filters if f.get("relationType")}
    result_types: set[EntityType] = set()
    for item in filters:
        result_types.update(_entity_type(t) for t in item.get("entityTypes") or [])
    if not result_types:
        result_types = set(SOURCES) - {EntityType.TENANT}

    def hop(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        parts = [
            condition,
            rel.c.tenant_id == caller.tenant_id,
            rel.c.relation_type_group == "COMMON",
        ]
        if relation_types:
            parts.append(rel.c.relation_type.in_(sorted(relation_types)))
        return sa.and_(*parts)

    root_match = sa.or_(
        *(
            sa.and_(rel.c[f"{near}_id"] == root_id, rel.c[f"{near}_type"] == root_type.value)
            for root_type, root_id in roots
        )
    )
    base = sa.select(
        rel.c[f"{far}_id"].label("id"),
        rel.c[f"{far}_type"].label("type"),
        sa.literal(1, sa.Integer()).label("lvl"),
    ).where(hop(root_match))
    walk = base.cte("walk", recursive=True)
    step = sa.select(rel.c[f"{far}_id"], rel.c[f"{far}_type"], walk.c.lvl + 1).where(
        hop(sa.and_(rel.c[f"{near}_id"] == walk.c.id, rel.c[f"{near}_type"] == walk.c.type)),
        walk.c.lvl < max_level,
    )
    walk = walk.union(step)
    last_only = bool(data.get("fetchLastLevelOnly"))

    def where_for(entity_type: EntityType) -> Callable[[sa.Table], sa.ColumnElement[bool]]:
        def where(table: sa.Table) -> sa.ColumnElement[bool]:
            found = sa.select(walk.c.id).where(walk.c.type == entity_type.value)
            if last_only:
                found = found.where(walk.c.lvl == max_level)
            return table.c.id.in_(found)

        return where

    return TypedWhere({t: where_for(t) for t in sorted(result_types)})


def _roots(data: Json) -> list[tuple[EntityType, uuid.UUID]]:
    if data.get("isMultiRoot"):
        root_type = _any_entity_type(data.get("multiRootEntitiesType"))
        ids = [_uuid(v, "multiRootEntityIds") for v in data.get("multiRootEntityIds") or []]
        if not ids:
            raise InvalidArgument("Multi-root relations query needs 'multiRootEntityIds'")
        return [(root_type, root_id) for root_id in ids]
    root = data.get("rootEntity")
    if not isinstance(root, Mapping):
        raise InvalidArgument("relationsQuery filter needs 'rootEntity'")
    return [(_any_entity_type(root.get("entityType")), _uuid(root.get("id"), "rootEntity"))]


def _any_entity_type(value: Any) -> EntityType:
    try:
        return EntityType(value)
    except ValueError:
        raise InvalidArgument(f"Unsupported entity type: {value}") from None


FILTERS: dict[EntityFilterType, Builder] = {
    EntityFilterType.SINGLE_ENTITY: _single_entity,
    EntityFilterType.ENTITY_LIST: _entity_list,
    EntityFilterType.ENTITY_NAME: _entity_name,
    EntityFilterType.ENTITY_TYPE: _entity_type_filter,
    EntityFilterType.DEVICE_TYPE: _typed(
        EntityType.DEVICE, "deviceTypes", "deviceType", "deviceNameFilter"
    ),
    EntityFilterType.ASSET_TYPE: _typed(
        EntityType.ASSET, "assetTypes", "assetType", "assetNameFilter"
    ),
    EntityFilterType.RELATIONS_QUERY: _relations_query,
}
"""Entity filter types served; the others of :class:`EntityFilterType` get a 400."""


def build_filter(entity_filter: Json, caller: Caller) -> TypedWhere:
    """The types and per-type conditions of ``entity_filter``."""
    raw = entity_filter.get("type")
    try:
        kind = EntityFilterType(str(raw))
    except ValueError:
        raise InvalidArgument(f"Unknown entity filter type: {raw}") from None
    builder = FILTERS.get(kind)
    if builder is None:
        raise InvalidArgument(f"Entity filter type '{kind.value}' is not supported yet")
    return builder(entity_filter, caller)
