"""A generic table repository: rows in, entity models out, with paging and optimistic locking.

Entity models name their attributes after their columns, so one mapping serves every
entity table; a repository for a new entity is a table plus a model class. Every method
takes the ``AsyncConnection`` of the caller's transaction, so a service can combine several
repositories in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic.alias_generators import to_snake
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.errors import InvalidArgument, VersionConflict
from industryos.entities.ids import new_id, now_ms
from industryos.entities.paging import PageData, PageLink, SortOrder

M = TypeVar("M", bound=BaseModel)


def escape_like(text: str) -> str:
    """Escape LIKE wildcards in user text (``\\`` is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Repository(Generic[M]):
    """CRUD and paging for one entity table."""

    def __init__(
        self,
        table: sa.Table,
        model: type[M],
        *,
        search_columns: Sequence[str] = ("name",),
        sort_aliases: dict[str, str] | None = None,
    ) -> None:
        self.table = table
        self.model = model
        self._columns = set(table.c.keys())
        self._search = [table.c[name] for name in search_columns]
        self._sort_aliases = sort_aliases or {}

    def from_row(self, row: sa.RowMapping | dict[str, Any]) -> M:
        """Build the model from a row (attribute names are column names)."""
        return self.model.model_validate(dict(row))

    def to_row(self, entity: M) -> dict[str, Any]:
        """The column values of ``entity``."""
        return entity.model_dump(include=self._columns)

    async def get(self, conn: AsyncConnection, entity_id: uuid.UUID) -> M | None:
        """The entity with ``entity_id``, or None."""
        row = (
            (await conn.execute(sa.select(self.table).where(self.table.c.id == entity_id)))
            .mappings()
            .first()
        )
        return None if row is None else self.from_row(row)

    async def find_one(self, conn: AsyncConnection, *where: sa.ColumnElement[bool]) -> M | None:
        """The first entity matching ``where``, or None."""
        row = (await conn.execute(sa.select(self.table).where(*where).limit(1))).mappings().first()
        return None if row is None else self.from_row(row)

    async def find_all(
        self, conn: AsyncConnection, *where: sa.ColumnElement[bool], limit: int | None = None
    ) -> list[M]:
        """Every entity matching ``where``, in id order."""
        query = sa.select(self.table).where(*where).order_by(self.table.c[self._default_sort()])
        if limit is not None:
            query = query.limit(limit)
        return [self.from_row(row) for row in (await conn.execute(query)).mappings()]

    async def count(self, conn: AsyncConnection, *where: sa.ColumnElement[bool]) -> int:
        """How many rows match ``where``."""
        query = sa.select(sa.func.count()).select_from(self.table).where(*where)
        return int((await conn.execute(query)).scalar_one())

    async def insert(self, conn: AsyncConnection, entity: M) -> M:
        """Store a new entity, assigning id, creation time and version 1 where missing."""
        values = self.to_row(entity)
        if values.get("id") is None and "id" in self._columns:
            values["id"] = new_id()
        if "created_time" in self._columns and values.get("created_time") is None:
            values["created_time"] = now_ms()
        if "version" in self._columns:
            values["version"] = 1
        await conn.execute(sa.insert(self.table).values(**values))
        return self.from_row(values)

    async def update(self, conn: AsyncConnection, entity: M) -> M:
        """Overwrite a stored entity; a non-null ``version`` must match the stored one."""
        values = self.to_row(entity)
        entity_id = values.pop("id")
        values.pop("created_time", None)
        where = [self.table.c.id == entity_id]
        expected = values.pop("version", None)
        if "version" in self._columns:
            if expected is not None:
                where.append(self.table.c.version == expected)
            values["version"] = self.table.c.version + 1
        query = sa.update(self.table).where(*where).values(**values).returning(self.table)
        row = (await conn.execute(query)).mappings().first()
        if row is None:
            raise VersionConflict(
                f"{self.model.__name__} was already changed by someone else (stale version)"
            )
        return self.from_row(row)

    async def delete(self, conn: AsyncConnection, entity_id: uuid.UUID) -> bool:
        """Delete by id; True when a row was deleted."""
        result = await conn.execute(sa.delete(self.table).where(self.table.c.id == entity_id))
        return bool(result.rowcount)

    async def page(
        self, conn: AsyncConnection, link: PageLink, *where: sa.ColumnElement[bool]
    ) -> PageData[M]:
        """One page of the entities matching ``where``, searched and sorted as ``link`` says."""
        conditions = list(where)
        if link.text_search:
            pattern = f"%{escape_like(link.text_search)}%"
            conditions.append(sa.or_(*(col.ilike(pattern, escape="\\") for col in self._search)))
        if link.start_time is not None and "created_time" in self._columns:
            conditions.append(self.table.c.created_time >= link.start_time)
        if link.end_time is not None and "created_time" in self._columns:
            conditions.append(self.table.c.created_time <= link.end_time)
        total = await self.count(conn, *conditions)
        column = self.table.c[self._sort_column(link.sort_property)]
        order = column.desc() if link.sort_order is SortOrder.DESC else column.asc()
        tie_break = self.table.c[self._default_sort()]
        query = (
            sa.select(self.table)
            .where(*conditions)
            .order_by(order, tie_break)
            .limit(link.page_size)
            .offset(link.offset)
        )
        rows = (await conn.execute(query)).mappings().all()
        return PageData([self.from_row(r) for r in rows], total, link.page_size, link.page)

    def _default_sort(self) -> str:
        return "created_time" if "created_time" in self._columns else next(iter(self._columns))

    def _sort_column(self, sort_property: str | None) -> str:
        if not sort_property:
            return self._default_sort()
        name = self._sort_aliases.get(sort_property, to_snake(sort_property))
        if name not in self._columns:
            raise InvalidArgument(f"Unsupported sort property '{sort_property}'")
        return name
