"""Relations as rule nodes see them: follow a ``relationsQuery``, create and delete relations.

A small facade over :class:`RelationRepository` for the related-entity, check-relation and
create/delete-relation nodes: every call is scoped to the message's tenant, and an entity
looked up by name must belong to that tenant too (tenant isolation). Relations written here
are COMMON-group relations, as ThingsBoard's nodes write them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType
from industryos.entities.models import EntityRelation, RelationTypeGroup
from industryos.entities.models.relation import EntityRef as RelationRef
from industryos.msg import EntityRef
from industryos.rules.errors import NodeConfigError
from industryos.storage.database import Database
from industryos.storage.relations import Direction, RelationRepository

__all__ = ["RelationsQuery", "RuleRelations"]


@dataclass(frozen=True, slots=True)
class RelationsQuery:
    """ThingsBoard's ``relationsQuery`` of a node configuration."""

    direction: Direction = Direction.FROM
    max_level: int = 1
    fetch_last_level_only: bool = False
    filters: tuple[tuple[str | None, frozenset[str]], ...] = ()
    """(relation type or None for any, entity types or empty for any) — any may match."""

    @classmethod
    def parse(cls, raw: Any, clazz: str) -> RelationsQuery:
        """Read ``{direction, maxLevel, filters: [{relationType, entityTypes}], …}``."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            raise NodeConfigError(f"{clazz}: 'relationsQuery' must be an object")
        try:
            direction = Direction(str(raw.get("direction") or "FROM").upper())
        except ValueError:
            raise NodeConfigError(f"{clazz}: relationsQuery direction must be FROM or TO") from None
        filters = []
        for item in raw.get("filters") or []:
            if not isinstance(item, Mapping):
                raise NodeConfigError(f"{clazz}: relationsQuery filters must be objects")
            relation_type = item.get("relationType") or None
            types = frozenset(str(t) for t in item.get("entityTypes") or [])
            filters.append((str(relation_type) if relation_type else None, types))
        level = raw.get("maxLevel")
        return cls(
            direction=direction,
            max_level=int(level) if isinstance(level, int | float) else 1,
            fetch_last_level_only=bool(raw.get("fetchLastLevelOnly", False)),
            filters=tuple(filters),
        )

    def accepts(self, relation: EntityRelation, far: RelationRef) -> bool:
        """True when some filter matches the relation's type and far end's type."""
        if not self.filters:
            return True
        return any(
            (rtype is None or rtype == relation.type)
            and (not types or far.entity_type.value in types)
            for rtype, types in self.filters
        )


def _ref(ref: EntityRef) -> RelationRef:
    return RelationRef(entity_type=ref.entity_type, id=ref.id)


class RuleRelations:
    """Relation reads and writes within one tenant, for rule nodes."""

    def __init__(self, db: Database, repository: RelationRepository | None = None) -> None:
        self._db = db
        self._repo = repository or RelationRepository()

    async def related(
        self, tenant_id: uuid.UUID, origin: EntityRef, query: RelationsQuery
    ) -> list[EntityRef]:
        """Entities reached from ``origin`` by ``query``, nearest level first."""
        async with self._db.read() as conn:
            walked = await self._repo.walk(
                conn,
                tenant_id,
                _ref(origin),
                query.direction,
                RelationTypeGroup.COMMON,
                query.max_level,
            )
        found: list[EntityRef] = []
        seen: set[uuid.UUID] = set()
        deepest = max((level for level, _, _ in walked), default=0)
        for level, relation, _leaf in sorted(walked, key=lambda item: item[0]):
            far = relation.to if query.direction is Direction.FROM else relation.from_
            if query.fetch_last_level_only and level != deepest:
                continue
            if far.id in seen or not query.accepts(relation, far):
                continue
            seen.add(far.id)
            found.append(EntityRef(EntityType(far.entity_type.value), far.id))
        return found

    async def exists(
        self,
        tenant_id: uuid.UUID,
        from_: EntityRef,
        to: EntityRef,
        relation_type: str,
    ) -> bool:
        """True when the relation ``from_ → to`` of ``relation_type`` is stored."""
        relation = EntityRelation(**{"from": _ref(from_), "to": _ref(to), "type": relation_type})
        async with self._db.read() as conn:
            return await self._repo.get(conn, tenant_id, relation) is not None

    async def of(
        self, tenant_id: uuid.UUID, entity: EntityRef, direction: Direction, relation_type: str
    ) -> list[EntityRef]:
        """Far ends of ``entity``'s relations of one type in one direction."""
        async with self._db.read() as conn:
            found = await self._repo.find(
                conn, tenant_id, _ref(entity), direction, RelationTypeGroup.COMMON, relation_type
            )
        ends = [r.to if direction is Direction.FROM else r.from_ for r in found]
        return [EntityRef(EntityType(e.entity_type.value), e.id) for e in ends]

    async def create(
        self, tenant_id: uuid.UUID, from_: EntityRef, to: EntityRef, relation_type: str
    ) -> bool:
        """Store the relation; True when it is new (a concurrent message may store it first)."""
        relation = EntityRelation(**{"from": _ref(from_), "to": _ref(to), "type": relation_type})
        try:
            async with self._db.transaction() as conn:
                _, created = await self._repo.save(conn, tenant_id, relation)
        except InvalidArgument:  # the uniqueness rule: another message won the race
            if await self.exists(tenant_id, from_, to, relation_type):
                return False
            raise
        return created

    async def delete(
        self, tenant_id: uuid.UUID, from_: EntityRef, to: EntityRef, relation_type: str
    ) -> bool:
        """Delete the relation; True when there was one."""
        relation = EntityRelation(**{"from": _ref(from_), "to": _ref(to), "type": relation_type})
        async with self._db.transaction() as conn:
            return await self._repo.delete(conn, tenant_id, relation) is not None
