"""Targets, templates and rules of a tenant: stored wire JSON, validated on save.

One generic store serves the three kinds: each keeps its JSON in ``body`` and the columns
lists filter on (name, template type, trigger type, enabled). The sysadmin's objects live
under the NULL tenant, like ThingsBoard's system-level notification settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType, entity_id_json, now_ms
from industryos.entities.paging import PageData, PageLink, SortOrder
from industryos.notify import schema
from industryos.notify.enums import NotificationType
from industryos.notify.targets import parse_target
from industryos.notify.templates import parse_template
from industryos.storage.database import Database

__all__ = ["RULES", "TARGETS", "TEMPLATES", "Catalog", "Kind"]

Json = dict[str, Any]
_META = frozenset({"id", "createdTime", "tenantId"})


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of catalogue object: its table, id type and column extraction."""

    entity_type: EntityType
    table: sa.Table
    columns: Callable[[Mapping[str, Any]], dict[str, Any]]
    label: str


def _target_columns(wire: Mapping[str, Any]) -> dict[str, Any]:
    parse_target(wire.get("configuration"))
    return {}


def _template_columns(wire: Mapping[str, Any]) -> dict[str, Any]:
    return {"notification_type": parse_template(wire).notification_type.value}


def _rule_columns(wire: Mapping[str, Any]) -> dict[str, Any]:
    try:
        trigger = NotificationType(str(wire.get("triggerType")))
    except ValueError:
        raise InvalidArgument(f"Unknown trigger type: {wire.get('triggerType')}") from None
    template = wire.get("templateId")
    if not isinstance(template, Mapping) or not template.get("id"):
        raise InvalidArgument("Rule needs templateId")
    if not isinstance(wire.get("recipientsConfig"), Mapping):
        raise InvalidArgument("Rule needs recipientsConfig")
    return {"trigger_type": trigger.value, "enabled": bool(wire.get("enabled", True))}


TARGETS = Kind(
    EntityType.NOTIFICATION_TARGET, schema.notification_target, _target_columns, "Target"
)
TEMPLATES = Kind(
    EntityType.NOTIFICATION_TEMPLATE, schema.notification_template, _template_columns, "Template"
)
RULES = Kind(EntityType.NOTIFICATION_RULE, schema.notification_rule, _rule_columns, "Rule")


def _wire(kind: Kind, row: Any) -> Json:
    return {
        **row.body,
        "id": entity_id_json(kind.entity_type, row.id),
        "createdTime": row.created_time,
        "tenantId": entity_id_json(EntityType.TENANT, row.tenant_id),
        "name": row.name,
    }


def _body_id(wire: Mapping[str, Any]) -> uuid.UUID | None:
    raw = wire.get("id")
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw.get("id") if isinstance(raw, Mapping) else raw))
    except ValueError:
        raise InvalidArgument(f"Invalid id: {raw}") from None


class Catalog:
    """CRUD of targets, templates and rules, scoped by tenant."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, kind: Kind, tenant_id: uuid.UUID, wire: Mapping[str, Any]) -> Json:
        """Create (no ``id``) or replace an object of ``tenant_id``."""
        name = wire.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidArgument(f"{kind.label} name should be specified")
        columns = kind.columns(wire)
        body = {k: v for k, v in wire.items() if k not in _META}
        row_id = _body_id(wire)
        t = kind.table
        async with self._db.transaction() as conn:
            if row_id is None:
                row_id = uuid.uuid4()
                values = {"id": row_id, "created_time": now_ms(), "tenant_id": tenant_id}
                await conn.execute(t.insert().values(**values, name=name, body=body, **columns))
            else:
                result = await conn.execute(
                    t.update()
                    .where(t.c.id == row_id, t.c.tenant_id == tenant_id)
                    .values(name=name, body=body, **columns)
                )
                if not result.rowcount:
                    raise NotFound(f"{kind.label} with id [{row_id}] is not found")
            row = (await conn.execute(sa.select(t).where(t.c.id == row_id))).one()
        return _wire(kind, row)

    async def get(self, kind: Kind, tenant_id: uuid.UUID, row_id: uuid.UUID) -> Json:
        """One object of ``tenant_id``."""
        t = kind.table
        async with self._db.read() as conn:
            row = (
                await conn.execute(sa.select(t).where(t.c.id == row_id, t.c.tenant_id == tenant_id))
            ).first()
        if row is None:
            raise NotFound(f"{kind.label} with id [{row_id}] is not found")
        return _wire(kind, row)

    async def many(self, kind: Kind, tenant_id: uuid.UUID, ids: list[uuid.UUID]) -> list[Json]:
        """The objects of ``tenant_id`` among ``ids`` (missing ones skipped)."""
        t = kind.table
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(t).where(t.c.id.in_(ids), t.c.tenant_id == tenant_id)
            )
            return [_wire(kind, r) for r in rows]

    async def page(
        self, kind: Kind, tenant_id: uuid.UUID, link: PageLink, **filters: Any
    ) -> PageData[Json]:
        """A page of ``tenant_id``'s objects, by name unless sorted by creation time."""
        t = kind.table
        where = [t.c.tenant_id == tenant_id]
        where += [t.c[column] == value for column, value in filters.items() if value is not None]
        if link.text_search:
            where.append(sa.func.lower(t.c.name).like(f"%{link.text_search.lower()}%"))
        column = t.c.created_time if link.sort_property == "createdTime" else t.c.name
        order = column.desc() if link.sort_order is SortOrder.DESC else column.asc()
        async with self._db.read() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).where(*where))).scalar_one()
            rows = await conn.execute(
                sa.select(t).where(*where).order_by(order).limit(link.page_size).offset(link.offset)
            )
            data = [_wire(kind, r) for r in rows]
        return PageData(data, int(total), link.page_size, link.page)

    async def delete(self, kind: Kind, tenant_id: uuid.UUID, row_id: uuid.UUID) -> None:
        """Delete one object of ``tenant_id``."""
        t = kind.table
        async with self._db.transaction() as conn:
            result = await conn.execute(
                t.delete().where(t.c.id == row_id, t.c.tenant_id == tenant_id)
            )
        if not result.rowcount:
            raise NotFound(f"{kind.label} with id [{row_id}] is not found")

    async def enabled_rules(self, tenant_id: uuid.UUID, trigger: NotificationType) -> list[Json]:
        """The enabled rules of ``tenant_id`` for one trigger type."""
        t = RULES.table
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(t).where(
                    t.c.tenant_id == tenant_id,
                    t.c.trigger_type == trigger.value,
                    t.c.enabled.is_(True),
                )
            )
            return [_wire(RULES, r) for r in rows]
