"""Where each queryable entity type lives, and the scoped entity set queries start from.

:data:`SOURCES` maps an entity type to its table, its owner columns and its entity fields
(wire name → column). :func:`entity_set` turns a list of types into one subquery with the
same columns for every type (``id, entity_type, tenant_id, customer_id`` and one ``f_<n>``
per requested field), already scoped to the caller, so filters, sorting and paging work on
devices, assets and customers alike (a relations query returns a mix). Adding a type is
one entry in :data:`SOURCES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType
from industryos.storage import schema

__all__ = ["NUMERIC_FIELDS", "SOURCES", "EntitySource", "entity_set", "field_column", "source"]

Where = Callable[[sa.Table], sa.ColumnElement[bool]]
"""A condition on one entity type's table (filters produce one per type)."""

_COMMON = {"createdTime": "created_time", "additionalInfo": "additional_info"}
_CONTACT = {
    name: name for name in ("email", "country", "state", "city", "address", "address2", "zip")
} | {"phone": "phone"}

NUMERIC_FIELDS = frozenset({"createdTime"})
"""Entity fields that compare and sort as numbers."""


@dataclass(frozen=True, slots=True)
class EntitySource:
    """One entity type's table: owner columns (``None`` = the id itself) and fields."""

    table: sa.Table
    tenant: str | None
    customer: str | None
    fields: dict[str, str]
    name: str = "name"
    type: str | None = None
    is_customer: bool = False

    def scope(self, caller: Caller) -> sa.ColumnElement[bool]:
        """Rows the caller may see: own tenant, and own customer for customer users."""
        table = self.table
        tenant_col = table.c.id if self.tenant is None else table.c[self.tenant]
        condition = tenant_col == caller.tenant_id
        if caller.is_customer_user:
            if self.is_customer:
                condition = sa.and_(condition, table.c.id == caller.customer_id)
            elif self.customer is not None:
                condition = sa.and_(condition, table.c[self.customer] == caller.customer_id)
            else:
                condition = sa.false()
        return condition


SOURCES: dict[EntityType, EntitySource] = {
    EntityType.DEVICE: EntitySource(
        schema.device,
        "tenant_id",
        "customer_id",
        {**_COMMON, "name": "name", "type": "type", "label": "label"},
        type="type",
    ),
    EntityType.ASSET: EntitySource(
        schema.asset,
        "tenant_id",
        "customer_id",
        {**_COMMON, "name": "name", "type": "type", "label": "label"},
        type="type",
    ),
    EntityType.CUSTOMER: EntitySource(
        schema.customer,
        "tenant_id",
        None,
        {**_COMMON, **_CONTACT, "title": "title", "name": "title"},
        name="title",
        is_customer=True,
    ),
    EntityType.USER: EntitySource(
        schema.user,
        "tenant_id",
        "customer_id",
        {
            **_COMMON,
            "firstName": "first_name",
            "lastName": "last_name",
            "email": "email",
            "phone": "phone",
            "name": "email",
        },
        name="email",
    ),
    EntityType.TENANT: EntitySource(
        schema.tenant,
        None,
        None,
        {**_COMMON, **_CONTACT, "title": "title", "name": "title"},
        name="title",
    ),
}
"""Entity types the entity data query can return."""


def source(entity_type: EntityType | str) -> EntitySource:
    """The source of ``entity_type``; 400 for types the query does not cover."""
    try:
        found = SOURCES.get(EntityType(entity_type))
    except ValueError:
        found = None
    if found is None:
        raise InvalidArgument(f"Entity type {entity_type} is not supported by entity queries")
    return found


def field_column(name: str) -> str:
    """The label of entity field ``name`` in an :func:`entity_set` subquery."""
    return f"f_{name}"


def _field_expr(src: EntitySource, name: str) -> sa.ColumnElement[object]:
    if name == "entityType":
        return sa.cast(sa.literal(None), sa.String())  # filled from entity_type at render
    column = src.fields.get(name)
    if column is None:
        if name in NUMERIC_FIELDS:
            return sa.cast(sa.null(), sa.BigInteger())
        return sa.cast(sa.null(), sa.Text())
    expr = src.table.c[column]
    if name in NUMERIC_FIELDS:
        return expr
    return sa.cast(expr, sa.Text())


@dataclass(frozen=True, slots=True)
class TypedWhere:
    """A filter's condition for each entity type it returns."""

    conditions: dict[EntityType, Where | None] = field(default_factory=dict)


def entity_set(caller: Caller, wanted: TypedWhere, fields: Sequence[str]) -> sa.Subquery:
    """One subquery over every type in ``wanted``, scoped to ``caller``, with ``fields``."""
    selects = []
    for entity_type, where in wanted.conditions.items():
        src = source(entity_type)
        table = src.table
        columns: list[sa.ColumnElement[Any]] = [
            table.c.id.label("id"),
            sa.literal(entity_type.value, sa.String()).label("entity_type"),
        ]
        columns += [_field_expr(src, name).label(field_column(name)) for name in fields]
        query = sa.select(*columns).where(src.scope(caller))
        if where is not None:
            query = query.where(where(table))
        selects.append(query)
    if not selects:
        raise InvalidArgument("Entity filter selects no entity type")
    union = selects[0] if len(selects) == 1 else sa.union_all(*selects)
    return union.subquery("e")


def distinct_fields(*groups: Iterable[str]) -> list[str]:
    """Field names in first-seen order, without duplicates."""
    seen: dict[str, None] = {}
    for group in groups:
        for name in group:
            seen.setdefault(name, None)
    return list(seen)
