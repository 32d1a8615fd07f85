"""Relations between entities: saves, deletes and graph queries, scoped like every entity.

Both ends of a relation must be entities the caller may access (tenant, and customer for
customer users); lists only show relations whose far end the caller can see. Every change
is audited on both ends and announced to the rule engine with each end as originator, as
ThingsBoard does, so rule chains of either entity react.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from pydantic import Field

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.entity_lookup import EntityLookup, Owner
from industryos.entities.errors import NotFound
from industryos.entities.events import MsgPublisher, entity_msg
from industryos.entities.fields import WireModel
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType, EntityRelation, RelationTypeGroup
from industryos.entities.models.relation import EntityRef
from industryos.msg import MsgType
from industryos.storage.database import Database
from industryos.storage.relations import Direction, RelationRepository


class EntityRelationInfo(EntityRelation):
    """A relation with the names of both ends, for tables."""

    from_name: str | None = None
    to_name: str | None = None


class RelationsSearchParameters(WireModel):
    """Where a relation query starts and how far it walks."""

    root_id: uuid.UUID
    root_type: EntityType
    direction: Direction = Direction.FROM
    relation_type_group: RelationTypeGroup = RelationTypeGroup.COMMON
    max_level: int = 1
    fetch_last_level_only: bool = False


class RelationEntityTypeFilter(WireModel):
    """Keep relations of ``relationType`` whose far end is one of ``entityTypes``."""

    relation_type: str | None = None
    entity_types: list[EntityType] | None = None
    negate: bool = False

    def matches(self, relation: EntityRelation, direction: Direction) -> bool:
        """True when ``relation`` passes this filter."""
        far = relation.to if direction is Direction.FROM else relation.from_
        hit = (not self.relation_type or self.relation_type == relation.type) and (
            not self.entity_types or far.entity_type in self.entity_types
        )
        return hit != self.negate


class EntityRelationsQuery(WireModel):
    """Body of ``POST /api/relations``: a walk from a root plus filters on what it finds."""

    parameters: RelationsSearchParameters
    filters: list[RelationEntityTypeFilter] = Field(default_factory=list)


class RelationService:
    """Everything the REST API does to relations."""

    def __init__(
        self,
        db: Database,
        repo: RelationRepository,
        lookup: EntityLookup,
        audit: AuditService,
        publisher: MsgPublisher,
    ) -> None:
        self._db = db
        self._repo = repo
        self._lookup = lookup
        self._audit = audit
        self._publisher = publisher

    async def save(self, caller: Caller, relation: EntityRelation) -> EntityRelation:
        """Create or update a relation between two entities the caller may access."""
        ends = await self._check_ends(caller, relation)
        async with self._db.transaction() as conn:
            saved, _ = await self._repo.save(conn, caller.tenant_id, relation)
        await self._announce(
            caller, saved, ends, ActionType.RELATION_ADD_OR_UPDATE, MsgType.RELATION_ADD_OR_UPDATE
        )
        return saved

    async def get(self, caller: Caller, relation: EntityRelation) -> EntityRelation:
        """The stored relation with this key; NotFound when absent."""
        await self._check_ends(caller, relation)
        async with self._db.read() as conn:
            stored = await self._repo.get(conn, caller.tenant_id, relation)
        if stored is None:
            raise NotFound()
        return stored

    async def delete(self, caller: Caller, relation: EntityRelation) -> EntityRelation:
        """Delete one relation; returns it. NotFound when absent."""
        ends = await self._check_ends(caller, relation)
        async with self._db.transaction() as conn:
            deleted = await self._repo.delete(conn, caller.tenant_id, relation)
        if deleted is None:
            raise NotFound()
        await self._announce(
            caller, deleted, ends, ActionType.RELATION_DELETED, MsgType.RELATION_DELETED
        )
        return deleted

    async def delete_all(self, caller: Caller, entity: EntityRef) -> list[EntityRelation]:
        """Delete every COMMON relation of an entity, both directions.

        One RELATIONS_DELETED audit entry; the rule engine gets a RELATION_DELETED message
        per removed relation (the message catalogue has no RELATIONS_DELETED type yet).
        """
        owner = await self._lookup.check(caller, entity.entity_type, entity.id)
        async with self._db.transaction() as conn:
            deleted = await self._repo.delete_all(conn, caller.tenant_id, entity)
        await self._audit.record(
            caller,
            ActionType.RELATIONS_DELETED,
            entity_type=owner.entity_type,
            entity_id=owner.id,
            entity_name=owner.name,
            customer_id=owner.customer_id,
        )
        for relation in deleted:
            await self._publish(MsgType.RELATION_DELETED, owner, relation)
        return deleted

    async def find(
        self,
        caller: Caller,
        entity: EntityRef,
        direction: Direction,
        group: RelationTypeGroup = RelationTypeGroup.COMMON,
        relation_type: str | None = None,
    ) -> list[EntityRelation]:
        """Relations leaving (FROM) or entering (TO) an entity the caller may access."""
        await self._lookup.check(caller, entity.entity_type, entity.id)
        async with self._db.read() as conn:
            found = await self._repo.find(
                conn, caller.tenant_id, entity, direction, group, relation_type
            )
        return await self._visible(caller, found)

    async def find_by_query(
        self, caller: Caller, query: EntityRelationsQuery
    ) -> list[EntityRelation]:
        """Relations found by walking from the root, filtered as the query says."""
        params = query.parameters
        root = EntityRef(entity_type=params.root_type, id=params.root_id)
        await self._lookup.check(caller, root.entity_type, root.id)
        async with self._db.read() as conn:
            walked = await self._repo.walk(
                conn,
                caller.tenant_id,
                root,
                params.direction,
                params.relation_type_group,
                params.max_level,
            )
        bounded = params.max_level > 0
        kept = [
            relation
            for level, relation, leaf in walked
            if not params.fetch_last_level_only or (level == params.max_level if bounded else leaf)
        ]
        if query.filters:
            kept = [r for r in kept if any(f.matches(r, params.direction) for f in query.filters)]
        return await self._visible(caller, kept)

    async def to_infos(self, relations: Sequence[EntityRelation]) -> list[EntityRelationInfo]:
        """Add the names of both ends (one query per entity type)."""
        owners = await self._lookup.owners(
            [(r.from_.entity_type, r.from_.id) for r in relations]
            + [(r.to.entity_type, r.to.id) for r in relations]
        )
        infos = []
        for relation in relations:
            from_owner = owners.get((relation.from_.entity_type, relation.from_.id))
            to_owner = owners.get((relation.to.entity_type, relation.to.id))
            infos.append(
                EntityRelationInfo(
                    **relation.model_dump(),
                    from_name=from_owner.name if from_owner else None,
                    to_name=to_owner.name if to_owner else None,
                )
            )
        return infos

    async def _check_ends(self, caller: Caller, relation: EntityRelation) -> tuple[Owner, Owner]:
        source = await self._lookup.check(caller, relation.from_.entity_type, relation.from_.id)
        target = await self._lookup.check(caller, relation.to.entity_type, relation.to.id)
        return source, target

    async def _visible(
        self, caller: Caller, relations: list[EntityRelation]
    ) -> list[EntityRelation]:
        """Drop relations with an end the caller may not see (customer users, mostly)."""
        if not relations:
            return relations
        owners = await self._lookup.owners(
            [(r.from_.entity_type, r.from_.id) for r in relations]
            + [(r.to.entity_type, r.to.id) for r in relations]
        )

        def visible(ref: EntityRef) -> bool:
            owner = owners.get((ref.entity_type, ref.id))
            return owner is not None and owner.visible_to(caller)

        return [r for r in relations if visible(r.from_) and visible(r.to)]

    async def _announce(
        self,
        caller: Caller,
        relation: EntityRelation,
        ends: tuple[Owner, Owner],
        action: ActionType,
        msg_type: MsgType,
    ) -> None:
        data = relation.to_wire()
        for owner in ends:
            await self._audit.record(
                caller,
                action,
                entity_type=owner.entity_type,
                entity_id=owner.id,
                entity_name=owner.name,
                customer_id=owner.customer_id,
                data=data,
            )
            await self._publish(msg_type, owner, relation)

    async def _publish(self, msg_type: MsgType, owner: Owner, relation: EntityRelation) -> None:
        await self._publisher.publish(
            entity_msg(
                msg_type,
                owner.entity_type,
                owner.id,
                owner.tenant_id,
                relation.to_wire(),
                customer_id=owner.customer_id,
            )
        )
