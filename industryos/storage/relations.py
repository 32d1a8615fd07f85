"""Relation rows: a composite key (from, to, group, type), always scoped to one tenant.

Relations have no id of their own, so the generic :class:`Repository` does not fit; this
module maps rows to :class:`EntityRelation` and back. Multi-level queries walk the graph
level by level (one query per level, ids batched), bounded by ``MAX_LEVELS`` so a cycle or
a huge unbounded query cannot run forever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.ids import EntityType
from industryos.entities.models import EntityRelation, RelationTypeGroup
from industryos.entities.models.relation import EntityRef
from industryos.storage import schema
from industryos.storage.in_lists import in_lists

MAX_LEVELS = 32
"""Depth an "unlimited" (``maxLevel`` ≤ 0) relation query stops at."""

_T = schema.relation


class Direction(StrEnum):
    """Which way a relation query walks: along ``from`` → ``to`` (FROM) or back (TO)."""

    FROM = "FROM"
    TO = "TO"


def _from_row(row: sa.RowMapping) -> EntityRelation:
    return EntityRelation(
        from_=EntityRef(entity_type=EntityType(row["from_type"]), id=row["from_id"]),
        to=EntityRef(entity_type=EntityType(row["to_type"]), id=row["to_id"]),
        type=row["relation_type"],
        type_group=RelationTypeGroup(row["relation_type_group"]),
        additional_info=row["additional_info"],
        version=row["version"],
    )


def _key(relation: EntityRelation) -> list[sa.ColumnElement[bool]]:
    return [
        _T.c.from_id == relation.from_.id,
        _T.c.from_type == relation.from_.entity_type.value,
        _T.c.to_id == relation.to.id,
        _T.c.to_type == relation.to.entity_type.value,
        _T.c.relation_type_group == relation.type_group.value,
        _T.c.relation_type == relation.type,
    ]


class RelationRepository:
    """Reads and writes the ``relation`` table inside one tenant."""

    async def get(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, relation: EntityRelation
    ) -> EntityRelation | None:
        """The stored relation with the key of ``relation``, or None."""
        query = sa.select(_T).where(_T.c.tenant_id == tenant_id, *_key(relation))
        row = (await conn.execute(query)).mappings().first()
        return None if row is None else _from_row(row)

    async def save(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, relation: EntityRelation
    ) -> tuple[EntityRelation, bool]:
        """Insert or update; returns the stored relation and whether it is new."""
        stored = await self.get(conn, tenant_id, relation)
        if stored is None:
            await conn.execute(
                sa.insert(_T).values(
                    from_id=relation.from_.id,
                    from_type=relation.from_.entity_type.value,
                    to_id=relation.to.id,
                    to_type=relation.to.entity_type.value,
                    relation_type_group=relation.type_group.value,
                    relation_type=relation.type,
                    tenant_id=tenant_id,
                    additional_info=relation.additional_info,
                    version=1,
                )
            )
            return relation.model_copy(update={"version": 1}), True
        version = (stored.version or 0) + 1
        await conn.execute(
            sa.update(_T)
            .where(_T.c.tenant_id == tenant_id, *_key(relation))
            .values(additional_info=relation.additional_info, version=version)
        )
        return relation.model_copy(update={"version": version}), False

    async def delete(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, relation: EntityRelation
    ) -> EntityRelation | None:
        """Delete one relation; returns what was deleted, or None when absent."""
        stored = await self.get(conn, tenant_id, relation)
        if stored is not None:
            await conn.execute(sa.delete(_T).where(_T.c.tenant_id == tenant_id, *_key(relation)))
        return stored

    async def delete_all(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID,
        entity: EntityRef,
        group: RelationTypeGroup = RelationTypeGroup.COMMON,
    ) -> list[EntityRelation]:
        """Delete every relation of ``group`` touching ``entity`` in either direction."""
        touching = sa.or_(
            sa.and_(_T.c.from_id == entity.id, _T.c.from_type == entity.entity_type.value),
            sa.and_(_T.c.to_id == entity.id, _T.c.to_type == entity.entity_type.value),
        )
        where = [_T.c.tenant_id == tenant_id, _T.c.relation_type_group == group.value, touching]
        rows = (await conn.execute(sa.select(_T).where(*where))).mappings().all()
        if rows:
            await conn.execute(sa.delete(_T).where(*where))
        return [_from_row(row) for row in rows]

    async def find(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID,
        entity: EntityRef,
        direction: Direction,
        group: RelationTypeGroup,
        relation_type: str | None = None,
    ) -> list[EntityRelation]:
        """Relations leaving (FROM) or entering (TO) ``entity``, optionally of one type."""
        found = await self.find_many(conn, tenant_id, [entity], direction, group)
        if relation_type is None:
            return found
        return [r for r in found if r.type == relation_type]

    async def find_many(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID,
        entities: Sequence[EntityRef],
        direction: Direction,
        group: RelationTypeGroup,
    ) -> list[EntityRelation]:
        """Relations leaving or entering any of ``entities`` (one query per id batch)."""
        id_col, type_col = (
            (_T.c.from_id, _T.c.from_type)
            if direction is Direction.FROM
            else (_T.c.to_id, _T.c.to_type)
        )
        wanted = {(e.id, e.entity_type.value) for e in entities}
        result: list[EntityRelation] = []
        for batch in in_lists(sorted({e.id for e in entities})):
            query = (
                sa.select(_T)
                .where(
                    _T.c.tenant_id == tenant_id,
                    _T.c.relation_type_group == group.value,
                    id_col.in_(batch),
                )
                .order_by(_T.c.relation_type, _T.c.to_id, _T.c.from_id)
            )
            for row in (await conn.execute(query)).mappings():
                if (row[id_col.name], row[type_col.name]) in wanted:
                    result.append(_from_row(row))
        return result

    async def walk(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID,
        root: EntityRef,
        direction: Direction,
        group: RelationTypeGroup,
        max_level: int,
    ) -> list[tuple[int, EntityRelation, bool]]:
        """Every relation reachable from ``root`` within ``max_level`` levels (≤ 0: unbounded).

        Returns ``(level, relation, child_is_leaf)`` triples; each entity is expanded once,
        so cycles terminate. ``child_is_leaf`` is True when the walk found nothing beyond
        that relation's far end (used for ``fetchLastLevelOnly``).
        """
        limit = MAX_LEVELS if max_level <= 0 else min(max_level, MAX_LEVELS)
        visited = {(root.id, root.entity_type)}
        frontier = [root]
        found: list[tuple[int, EntityRelation]] = []
        for level in range(1, limit + 1):
            if not frontier:
                break
            relations = await self.find_many(conn, tenant_id, frontier, direction, group)
            next_frontier: list[EntityRef] = []
            for relation in relations:
                found.append((level, relation))
                child = _far_end(relation, direction)
                key = (child.id, child.entity_type)
                if key not in visited:
                    visited.add(key)
                    next_frontier.append(child)
            frontier = next_frontier
        parents = {
            (_near_end(r, direction).id, _near_end(r, direction).entity_type) for _, r in found
        }
        return [
            (
                level,
                relation,
                (_far_end(relation, direction).id, _far_end(relation, direction).entity_type)
                not in parents,
            )
            for level, relation in found
        ]


def _far_end(relation: EntityRelation, direction: Direction) -> EntityRef:
    return relation.to if direction is Direction.FROM else relation.from_


def _near_end(relation: EntityRelation, direction: Direction) -> EntityRef:
    return relation.from_ if direction is Direction.FROM else relation.to
