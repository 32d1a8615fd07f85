"""Relation REST (spec platform-api §3.4): the 3.x query-style paths and the 4.x path-style ones.

Old clients use ``/api/relation`` and ``/api/relations?fromId…``; tb-rest-client 4.4 uses
``/api/v2/relation`` and ``/api/relations/from/{type}/{id}``. Both families call the same
service methods, so they cannot drift apart.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from industryos.api.deps import Context, CurrentCaller
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType
from industryos.entities.models import EntityRelation, RelationTypeGroup
from industryos.entities.models.relation import EntityRef
from industryos.entities.relation_service import EntityRelationsQuery
from industryos.storage.relations import Direction

router = APIRouter(prefix="/api", tags=["relation"])

Json = dict[str, Any]
Group = Annotated[RelationTypeGroup, Query(alias="relationTypeGroup")]


def _key(
    from_id: uuid.UUID,
    from_type: EntityType,
    relation_type: str,
    to_id: uuid.UUID,
    to_type: EntityType,
    group: RelationTypeGroup,
) -> EntityRelation:
    if not relation_type.strip():
        raise InvalidArgument("Relation type must be specified")
    return EntityRelation(
        from_=EntityRef(entity_type=from_type, id=from_id),
        to=EntityRef(entity_type=to_type, id=to_id),
        type=relation_type,
        type_group=group,
    )


def _key_params(
    from_id: Annotated[uuid.UUID, Query(alias="fromId")],
    from_type: Annotated[EntityType, Query(alias="fromType")],
    relation_type: Annotated[str, Query(alias="relationType")],
    to_id: Annotated[uuid.UUID, Query(alias="toId")],
    to_type: Annotated[EntityType, Query(alias="toType")],
    group: Group = RelationTypeGroup.COMMON,
) -> EntityRelation:
    """The full relation key from the query string (``relationTypeGroup`` defaults to COMMON)."""
    return _key(from_id, from_type, relation_type, to_id, to_type, group)


RelationKey = Annotated[EntityRelation, Depends(_key_params)]


@router.post("/relation")
async def save_relation(
    relation: EntityRelation, caller: CurrentCaller, context: Context
) -> Response:
    """Create or update a relation (3.x: no body returned)."""
    await context.relations.save(caller, relation)
    return Response(status_code=200)


@router.post("/v2/relation")
async def save_relation_v2(
    relation: EntityRelation, caller: CurrentCaller, context: Context
) -> Json:
    """Create or update a relation and return it (4.x)."""
    return (await context.relations.save(caller, relation)).to_wire()


@router.get("/relation")
async def get_relation(key: RelationKey, caller: CurrentCaller, context: Context) -> Json:
    """One relation by its full key, or 404."""
    return (await context.relations.get(caller, key)).to_wire()


@router.delete("/relation")
async def delete_relation(key: RelationKey, caller: CurrentCaller, context: Context) -> Response:
    """Delete one relation (3.x: no body returned)."""
    await context.relations.delete(caller, key)
    return Response(status_code=200)


@router.delete("/v2/relation")
async def delete_relation_v2(key: RelationKey, caller: CurrentCaller, context: Context) -> Json:
    """Delete one relation and return it (4.x)."""
    return (await context.relations.delete(caller, key)).to_wire()


@router.delete("/relations")
async def delete_relations(
    caller: CurrentCaller,
    context: Context,
    entity_id: Annotated[uuid.UUID, Query(alias="entityId")],
    entity_type: Annotated[EntityType, Query(alias="entityType")],
) -> Response:
    """Delete every COMMON relation of an entity, both directions."""
    await context.relations.delete_all(caller, EntityRef(entity_type=entity_type, id=entity_id))
    return Response(status_code=200)


async def _find(
    caller: CurrentCaller,
    context: Context,
    from_id: uuid.UUID | None,
    from_type: EntityType | None,
    to_id: uuid.UUID | None,
    to_type: EntityType | None,
    relation_type: str | None,
    group: RelationTypeGroup,
) -> list[EntityRelation]:
    if from_id is not None and from_type is not None:
        entity, direction = EntityRef(entity_type=from_type, id=from_id), Direction.FROM
    elif to_id is not None and to_type is not None:
        entity, direction = EntityRef(entity_type=to_type, id=to_id), Direction.TO
    else:
        raise InvalidArgument("Either 'fromId' and 'fromType' or 'toId' and 'toType' are required")
    return await context.relations.find(caller, entity, direction, group, relation_type or None)


@router.get("/relations")
async def find_relations(
    caller: CurrentCaller,
    context: Context,
    from_id: Annotated[uuid.UUID | None, Query(alias="fromId")] = None,
    from_type: Annotated[EntityType | None, Query(alias="fromType")] = None,
    to_id: Annotated[uuid.UUID | None, Query(alias="toId")] = None,
    to_type: Annotated[EntityType | None, Query(alias="toType")] = None,
    relation_type: Annotated[str | None, Query(alias="relationType")] = None,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations from (``fromId``/``fromType``) or to (``toId``/``toType``) an entity."""
    found = await _find(caller, context, from_id, from_type, to_id, to_type, relation_type, group)
    return [r.to_wire() for r in found]


@router.get("/relations/info")
async def find_relation_infos(
    caller: CurrentCaller,
    context: Context,
    from_id: Annotated[uuid.UUID | None, Query(alias="fromId")] = None,
    from_type: Annotated[EntityType | None, Query(alias="fromType")] = None,
    to_id: Annotated[uuid.UUID | None, Query(alias="toId")] = None,
    to_type: Annotated[EntityType | None, Query(alias="toType")] = None,
    relation_type: Annotated[str | None, Query(alias="relationType")] = None,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """As ``/api/relations``, with the names of both ends."""
    found = await _find(caller, context, from_id, from_type, to_id, to_type, relation_type, group)
    return [i.to_wire() for i in await context.relations.to_infos(found)]


async def _by_path(
    caller: CurrentCaller,
    context: Context,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    direction: Direction,
    group: RelationTypeGroup,
    relation_type: str | None = None,
) -> list[EntityRelation]:
    entity = EntityRef(entity_type=entity_type, id=entity_id)
    return await context.relations.find(caller, entity, direction, group, relation_type)


@router.get("/relations/from/{from_type}/{from_id}")
async def relations_from(
    from_type: EntityType,
    from_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations leaving an entity (4.x path style)."""
    found = await _by_path(caller, context, from_type, from_id, Direction.FROM, group)
    return [r.to_wire() for r in found]


@router.get("/relations/from/{from_type}/{from_id}/{relation_type}")
async def relations_from_of_type(
    from_type: EntityType,
    from_id: uuid.UUID,
    relation_type: str,
    caller: CurrentCaller,
    context: Context,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations of one type leaving an entity (4.x path style)."""
    found = await _by_path(
        caller, context, from_type, from_id, Direction.FROM, group, relation_type
    )
    return [r.to_wire() for r in found]


@router.get("/relations/to/{to_type}/{to_id}")
async def relations_to(
    to_type: EntityType,
    to_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations entering an entity (4.x path style)."""
    found = await _by_path(caller, context, to_type, to_id, Direction.TO, group)
    return [r.to_wire() for r in found]


@router.get("/relations/to/{to_type}/{to_id}/{relation_type}")
async def relations_to_of_type(
    to_type: EntityType,
    to_id: uuid.UUID,
    relation_type: str,
    caller: CurrentCaller,
    context: Context,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations of one type entering an entity (4.x path style)."""
    found = await _by_path(caller, context, to_type, to_id, Direction.TO, group, relation_type)
    return [r.to_wire() for r in found]


@router.get("/relations/info/from/{from_type}/{from_id}")
async def relation_infos_from(
    from_type: EntityType,
    from_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations leaving an entity, with names (4.x path style)."""
    found = await _by_path(caller, context, from_type, from_id, Direction.FROM, group)
    return [i.to_wire() for i in await context.relations.to_infos(found)]


@router.get("/relations/info/to/{to_type}/{to_id}")
async def relation_infos_to(
    to_type: EntityType,
    to_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    group: Group = RelationTypeGroup.COMMON,
) -> list[Json]:
    """Relations entering an entity, with names (4.x path style)."""
    found = await _by_path(caller, context, to_type, to_id, Direction.TO, group)
    return [i.to_wire() for i in await context.relations.to_infos(found)]


@router.post("/relations")
async def query_relations(
    query: EntityRelationsQuery, caller: CurrentCaller, context: Context
) -> list[Json]:
    """Relations found by a multi-level query."""
    return [r.to_wire() for r in await context.relations.find_by_query(caller, query)]


@router.post("/relations/info")
async def query_relation_infos(
    query: EntityRelationsQuery, caller: CurrentCaller, context: Context
) -> list[Json]:
    """Relations found by a multi-level query, with the names of both ends."""
    found = await context.relations.find_by_query(caller, query)
    return [i.to_wire() for i in await context.relations.to_infos(found)]
