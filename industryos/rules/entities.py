"""Read-only entity facts for enrichment and transformation nodes.

Nodes that read an originator's fields (name, type, label…), look an entity up by name,
or follow a relation get this small facade instead of the entity services: it answers
within one tenant only (tenant isolation) and never writes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from industryos.alarms.schema import alarm
from industryos.entities.dashboard_schema import dashboard
from industryos.entities.ids import EntityType
from industryos.msg import EntityRef
from industryos.storage import schema
from industryos.storage.database import Database

__all__ = ["EntityFields"]


@dataclass(frozen=True, slots=True)
class _Source:
    table: sa.Table
    name_column: str
    fields: dict[str, str]
    """Wire field name → column."""


_SOURCES: dict[EntityType, _Source] = {
    EntityType.DEVICE: _Source(
        schema.device,
        "name",
        {"name": "name", "type": "type", "label": "label", "createdTime": "created_time"},
    ),
    EntityType.ASSET: _Source(
        schema.asset,
        "name",
        {"name": "name", "type": "type", "label": "label", "createdTime": "created_time"},
    ),
    EntityType.CUSTOMER: _Source(
        schema.customer, "title", {"name": "title", "title": "title", "createdTime": "created_time"}
    ),
    EntityType.TENANT: _Source(
        schema.tenant, "title", {"name": "title", "title": "title", "createdTime": "created_time"}
    ),
    EntityType.DASHBOARD: _Source(
        dashboard, "title", {"name": "title", "title": "title", "createdTime": "created_time"}
    ),
    EntityType.USER: _Source(
        schema.user,
        "email",
        {
            "name": "email",
            "email": "email",
            "firstName": "first_name",
            "lastName": "last_name",
            "createdTime": "created_time",
        },
    ),
}


class EntityFields:
    """Fields of one tenant's entities, names to ids, and relations."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def fields(self, tenant_id: uuid.UUID, ref: EntityRef) -> dict[str, Any] | None:
        """Wire fields of an entity (``id``, ``name``, ``type``…), None if not in the tenant."""
        source = _SOURCES.get(ref.entity_type)
        if source is None:
            return None
        table = source.table
        query = sa.select(*(table.c[col].label(key) for key, col in source.fields.items()))
        query = query.where(table.c.id == ref.id)
        if ref.entity_type is not EntityType.TENANT:
            query = query.where(table.c.tenant_id == tenant_id)
        elif ref.id != tenant_id:
            return None
        async with self._db.read() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        result = dict(row)
        result["id"] = str(ref.id)
        result.setdefault("type", ref.entity_type.value)
        return result

    async def find_by_name(
        self, tenant_id: uuid.UUID, entity_type: EntityType, name: str
    ) -> EntityRef | None:
        """The entity of ``entity_type`` named ``name`` in the tenant."""
        source = _SOURCES.get(entity_type)
        if source is None or entity_type is EntityType.TENANT:
            return None
        table = source.table
        query = sa.select(table.c.id).where(
            table.c.tenant_id == tenant_id, table.c[source.name_column] == name
        )
        async with self._db.read() as conn:
            found = (await conn.execute(query.limit(1))).scalar()
        return None if found is None else EntityRef(entity_type, found)

    async def related(
        self, tenant_id: uuid.UUID, ref: EntityRef, relation_type: str, direction: str
    ) -> EntityRef | None:
        """The first entity related to ``ref`` (``FROM``: ``ref`` → it; ``TO``: it → ``ref``)."""
        rel = schema.relation
        if direction == "FROM":
            query = sa.select(rel.c.to_id, rel.c.to_type).where(
                rel.c.from_id == ref.id, rel.c.from_type == ref.entity_type.value
            )
        else:
            query = sa.select(rel.c.from_id, rel.c.from_type).where(
                rel.c.to_id == ref.id, rel.c.to_type == ref.entity_type.value
            )
        query = query.where(rel.c.relation_type == relation_type, rel.c.tenant_id == tenant_id)
        async with self._db.read() as conn:
            row = (await conn.execute(query.limit(1))).first()
        if row is None:
            return None
        return EntityRef(EntityType(row[1]), row[0])

    async def alarm_originator(self, tenant_id: uuid.UUID, alarm_id: uuid.UUID) -> EntityRef | None:
        """The entity an alarm of the tenant is about (None: no such alarm)."""
        query = sa.select(alarm.c.originator_type, alarm.c.originator_id).where(
            alarm.c.id == alarm_id, alarm.c.tenant_id == tenant_id
        )
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else EntityRef(EntityType(row[0]), row[1])

    async def profile_chains(self, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
        """Device profile name → its default rule chain, for the profiles that set one."""
        profile = schema.device_profile
        query = sa.select(profile.c.name, profile.c.default_rule_chain_id).where(
            profile.c.tenant_id == tenant_id, profile.c.default_rule_chain_id.is_not(None)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return {name: chain_id for name, chain_id in rows}
