"""Who owns an entity given only ``{entityType, id}``: the access check of generic APIs.

Relations and telemetry address entities of any type. Before touching one they need its
tenant and customer (and a display name), which live in a different table per type. The
table :data:`OWNERSHIP` says where; adding an entity type is one line there. Lookups batch
by type, so checking a list of relations costs one query per entity type, not per row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.storage import schema
from industryos.storage.database import Database


@dataclass(frozen=True, slots=True)
class Owner:
    """Where an entity belongs, and what to call it in audit logs and relation infos."""

    entity_type: EntityType
    id: uuid.UUID
    tenant_id: uuid.UUID
    customer_id: uuid.UUID
    name: str

    def visible_to(self, caller: Caller) -> bool:
        """True when ``caller`` may see this entity (same rules as :meth:`Caller.check_owner`)."""
        if caller.is_sys_admin or self.tenant_id != caller.tenant_id:
            return False
        return not caller.is_customer_user or self.customer_id == caller.customer_id


@dataclass(frozen=True, slots=True)
class _Source:
    """Where one entity type's owner columns are: ``None`` means "the id itself"/"nobody"."""

    table: sa.Table
    tenant: str | None
    customer: str | None
    name: str
    customer_is_self: bool = False


OWNERSHIP: dict[EntityType, _Source] = {
    EntityType.DEVICE: _Source(schema.device, "tenant_id", "customer_id", "name"),
    EntityType.ASSET: _Source(schema.asset, "tenant_id", "customer_id", "name"),
    EntityType.CUSTOMER: _Source(schema.customer, "tenant_id", None, "title", True),
    EntityType.USER: _Source(schema.user, "tenant_id", "customer_id", "email"),
    EntityType.TENANT: _Source(schema.tenant, None, None, "title"),
    EntityType.DEVICE_PROFILE: _Source(schema.device_profile, "tenant_id", None, "name"),
    EntityType.ASSET_PROFILE: _Source(schema.asset_profile, "tenant_id", None, "name"),
}
"""Entity types that generic APIs can address, and where their ownership is stored."""


def _source(entity_type: EntityType) -> _Source:
    source = OWNERSHIP.get(entity_type)
    if source is None:
        raise InvalidArgument(f"Unsupported entity type: {entity_type.value}")
    return source


class EntityLookup:
    """Resolves entity references to their owners, one query per entity type."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def owner(self, entity_type: EntityType, entity_id: uuid.UUID) -> Owner:
        """The owner of one entity; NotFound when it does not exist."""
        found = await self.owners([(entity_type, entity_id)])
        owner = found.get((entity_type, entity_id))
        if owner is None:
            raise NotFound()
        return owner

    async def check(self, caller: Caller, entity_type: EntityType, entity_id: uuid.UUID) -> Owner:
        """The owner of an entity ``caller`` may access; NotFound or PermissionDenied else."""
        owner = await self.owner(entity_type, entity_id)
        caller.check_owner(owner.tenant_id, owner.customer_id)
        return owner

    async def owners(
        self, refs: Iterable[tuple[EntityType, uuid.UUID]]
    ) -> dict[tuple[EntityType, uuid.UUID], Owner]:
        """Owners of every existing entity among ``refs`` (missing ones are left out)."""
        by_type: dict[EntityType, set[uuid.UUID]] = defaultdict(set)
        for entity_type, entity_id in refs:
            by_type[entity_type].add(entity_id)
        result: dict[tuple[EntityType, uuid.UUID], Owner] = {}
        async with self._db.read() as conn:
            for entity_type, ids in by_type.items():
                source = _source(entity_type)
                table = source.table
                columns = [table.c.id, table.c[source.name]]
                if source.tenant is not None:
                    columns.append(table.c[source.tenant])
                if source.customer is not None:
                    columns.append(table.c[source.customer])
                query = sa.select(*columns).where(table.c.id.in_(ids))
                for row in (await conn.execute(query)).mappings():
                    owner = _owner(entity_type, source, row)
                    result[(entity_type, owner.id)] = owner
        return result


def _owner(entity_type: EntityType, source: _Source, row: sa.RowMapping) -> Owner:
    entity_id: uuid.UUID = row["id"]
    tenant_id = entity_id if source.tenant is None else row[source.tenant]
    if source.customer_is_self:
        customer_id = entity_id
    elif source.customer is None:
        customer_id = NULL_UUID
    else:
        customer_id = row[source.customer]
    return Owner(entity_type, entity_id, tenant_id, customer_id, str(row[source.name]))
