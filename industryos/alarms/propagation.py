"""Which entities an alarm is listed under (spec §6.4 "Propagation").

Always its originator; with ``propagate`` every entity that reaches the originator through
relations (entities having relations *to* it, recursively, only of
``propagateRelationTypes`` when that list is non-empty); with ``propagateToOwner`` the
originator's owner (customer, or tenant when unassigned); with ``propagateToTenant`` the
tenant. Computed once when the alarm is raised or its flags change, and stored in
``alarm_entity``.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.alarms.model import Alarm
from industryos.alarms.schema import alarm_entity
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import RelationTypeGroup
from industryos.entities.models.relation import EntityRef as RelationRef
from industryos.msg import EntityRef
from industryos.storage.relations import MAX_LEVELS, Direction, RelationRepository

__all__ = ["propagation_targets", "store_propagation"]

_RELATIONS = RelationRepository()


async def propagation_targets(conn: AsyncConnection, alarm: Alarm) -> dict[uuid.UUID, EntityType]:
    """Every entity (id → type) the alarm is shown under."""
    targets: dict[uuid.UUID, EntityType] = {alarm.originator.id: alarm.originator.entity_type}
    if alarm.propagate:
        wanted = set(alarm.propagate_relation_types)
        frontier = [_ref(alarm.originator)]
        seen = {alarm.originator.id}
        for _level in range(MAX_LEVELS):
            if not frontier:
                break
            relations = await _RELATIONS.find_many(
                conn, alarm.tenant_id, frontier, Direction.TO, RelationTypeGroup.COMMON
            )
            frontier = []
            for relation in relations:
                if wanted and relation.type not in wanted:
                    continue
                parent = relation.from_
                if parent.id not in seen:
                    seen.add(parent.id)
                    targets[parent.id] = parent.entity_type
                    frontier.append(parent)
    if alarm.propagate_to_owner:
        if alarm.customer_id != NULL_UUID:
            targets[alarm.customer_id] = EntityType.CUSTOMER
        else:
            targets[alarm.tenant_id] = EntityType.TENANT
    if alarm.propagate_to_tenant:
        targets[alarm.tenant_id] = EntityType.TENANT
    return targets


def _ref(ref: EntityRef) -> RelationRef:
    return RelationRef(entity_type=ref.entity_type, id=ref.id)


async def store_propagation(conn: AsyncConnection, alarm: Alarm) -> None:
    """Replace the ``alarm_entity`` rows of ``alarm``."""
    targets = await propagation_targets(conn, alarm)
    await conn.execute(sa.delete(alarm_entity).where(alarm_entity.c.alarm_id == alarm.id))
    await conn.execute(
        sa.insert(alarm_entity),
        [
            {
                "alarm_id": alarm.id,
                "entity_id": entity_id,
                "entity_type": entity_type.value,
                "tenant_id": alarm.tenant_id,
            }
            for entity_id, entity_type in targets.items()
        ],
    )
