"""Attribute repository on ``attribute_kv``: one row per (entity, scope, key id).

Saving many attributes, of one entity or of many, is one transaction of upserts (one
``executemany`` on PostgreSQL; on SQLite statements of many rows, the whole transaction in
one worker-thread hop); the row's ``last_update_ts`` is the save time and ``version``
counts its writes. Keys are ids from the shared :class:`KeyDictionary`. JSON values are
bound as text and cast to the column's JSON type, then read back as text and re-serialised
compactly. On PostgreSQL the column is ``jsonb``, which reorders object keys: a JSON value
comes back equal as JSON, not always as the same text.

Scope rules (CLIENT_SCOPE is device-reported, REST writes only SERVER/SHARED) are the
callers' concern; this repository stores any scope it is given.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import now_ms
from industryos.storage.engine import is_sqlite, sqlite_file
from industryos.storage.in_lists import in_lists
from industryos.storage.multirow import MultiRowStatement, run_in_transaction
from industryos.storage.schema import attribute_kv
from industryos.storage.sqlite_plain import connect_sqlite
from industryos.storage.timeseries.columns import (
    VALUE_COLUMNS,
    decode,
    json_text_param,
    value_tuple,
)
from industryos.storage.timeseries.keys import KeyDictionary
from industryos.telemetry.backends import AttributeWrite
from industryos.telemetry.kv import (
    AttributeKvEntry,
    AttributeScope,
    DataType,
    KvEntry,
    check_key,
    check_value,
)

__all__ = ["AttributeRepository"]

_a = attribute_kv.c
_VALUE_COLUMNS = (
    _a.bool_v,
    _a.str_v,
    _a.long_v,
    _a.dbl_v,
    sa.cast(_a.json_v, sa.Text),  # read as text: values stay the JSON text they were written
    _a.last_update_ts,
)
"""What a read returns of each attribute after its key: :func:`_entry` takes these."""


def _upsert_statement(insert: Any) -> Any:
    statement = insert(attribute_kv).values(
        entity_id=sa.bindparam("entity_id", type_=sa.Uuid()),
        attribute_type=sa.bindparam("attribute_type", type_=sa.String()),
        attribute_key=sa.bindparam("attribute_key", type_=sa.Integer()),
        bool_v=sa.bindparam("bool_v", type_=sa.Boolean()),
        str_v=sa.bindparam("str_v", type_=sa.Text()),
        long_v=sa.bindparam("long_v", type_=sa.BigInteger()),
        dbl_v=sa.bindparam("dbl_v", type_=sa.Float(precision=53)),
        json_v=json_text_param(sa.bindparam("json_v", type_=sa.Text()), _a.json_v),
        last_update_ts=sa.bindparam("last_update_ts", type_=sa.BigInteger()),
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_a.entity_id, _a.attribute_type, _a.attribute_key],
        set_={
            **{name: excluded[name] for name in VALUE_COLUMNS},
            "last_update_ts": excluded.last_update_ts,
            "version": _a.version + 1,
        },
    )


_COLUMNS = ("entity_id", "attribute_type", "attribute_key", *VALUE_COLUMNS, "last_update_ts")
_PRIMARY_KEY = itemgetter(0, 1, 2)
_SQLITE_UPSERT = MultiRowStatement(
    f"INSERT INTO attribute_kv ({', '.join(_COLUMNS)})",
    len(_COLUMNS),
    "ON CONFLICT (entity_id, attribute_type, attribute_key) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in (*VALUE_COLUMNS, "last_update_ts"))
    + ", version = attribute_kv.version + 1",
)
"""The same upsert as :func:`_upsert_statement`, as many rows a statement (JSON is text)."""


def _sqlite_upsert(path: str, rows: list[tuple[Any, ...]]) -> None:
    """``BEGIN IMMEDIATE``, multi-row upserts, ``COMMIT``, in the calling (worker) thread.

    SQLite has one write lock. Through the engine every statement of a transaction is a
    hop between the event loop and the driver's thread, and under ingest load each hop
    waits tens of ms for the busy loop: a fleet's device-state save (3,000 rows) held the
    lock for 0.2-0.5 s and stalled the time-series writer behind it. Here the lock is held
    for the writes alone; waiting for it happens in this thread. A connection of its own
    per call (opening one costs well under a millisecond) needs no lifecycle.
    """
    conn = connect_sqlite(path)
    try:
        run_in_transaction(conn, [(_SQLITE_UPSERT, rows)])
    finally:
        conn.close()


def _entry(key: str, row: Sequence[Any]) -> AttributeKvEntry:
    value, data_type = decode(*row[:5])
    if data_type is DataType.JSON:
        value = orjson.dumps(orjson.loads(str(value))).decode()
    return AttributeKvEntry(key, value, data_type, row[5])


class AttributeRepository:
    """Save, read, list and delete the attributes of entities."""

    def __init__(self, engine: AsyncEngine, keys: KeyDictionary) -> None:
        self._engine = engine
        self._keys = keys
        self._upsert = _upsert_statement(sqlite.insert if is_sqlite(engine) else postgresql.insert)
        self._sqlite_path = sqlite_file(engine)

    async def save(
        self,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: Sequence[KvEntry],
        ts: int | None = None,
    ) -> list[AttributeKvEntry]:
        """Upsert ``entries`` in one transaction; returns them as stored (with ``ts``)."""
        return (await self.save_many([(entity_id, scope, entries)], ts))[0]

    async def save_many(
        self, writes: Sequence[AttributeWrite], ts: int | None = None
    ) -> list[list[AttributeKvEntry]]:
        """Upsert the attributes of several entities in one transaction (one commit, one
        sync, instead of one per entity); returns each write's entries as stored."""
        for _, _, entries in writes:
            for key, value, data_type in entries:
                check_key(key)
                check_value(key, value, data_type)
        ts = now_ms() if ts is None else ts
        # The last entry of a key wins, as in a JSON object with a repeated key.
        uniques = [{entry.key: entry for entry in entries} for _, _, entries in writes]
        if any(uniques):
            key_ids = await self._keys.ids({key for unique in uniques for key in unique})
            rows = [
                (
                    entity_id,
                    scope.value,
                    key_ids[key],
                    *value_tuple(entry.data_type, entry.value),
                    ts,
                )
                for (entity_id, scope, _), unique in zip(writes, uniques, strict=True)
                for key, entry in unique.items()
            ]
            # one order for every writer, so concurrent transactions cannot deadlock
            rows.sort(key=_PRIMARY_KEY)
            await self._upsert_rows(rows)
        return [[AttributeKvEntry(*entry, ts) for entry in unique.values()] for unique in uniques]

    async def _upsert_rows(self, rows: list[tuple[Any, ...]]) -> None:
        """One transaction: ``executemany`` on PostgreSQL; on SQLite one thread hop for the
        whole transaction (see :func:`_sqlite_upsert`)."""
        path = self._sqlite_path
        if path is None:  # PostgreSQL, or an SQLite database no second connection can open
            async with self._engine.begin() as conn:
                await conn.execute(
                    self._upsert, [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
                )
            return
        hex_rows = [(row[0].hex, *row[1:]) for row in rows]  # SQLite's uuid columns: hex
        await asyncio.to_thread(_sqlite_upsert, path, hex_rows)

    async def find(
        self,
        entity_id: uuid.UUID,
        scope: AttributeScope | None = None,
        keys: Iterable[str] | None = None,
    ) -> dict[AttributeScope, list[AttributeKvEntry]]:
        """Attributes of one scope (all scopes if None), all keys or only ``keys``.

        Scopes without attributes are left out; entries are ordered by key.
        """
        statement = sa.select(_a.attribute_type, _a.attribute_key, *_VALUE_COLUMNS).where(
            _a.entity_id == entity_id
        )
        if scope is not None:
            statement = statement.where(_a.attribute_type == scope.value)
        if keys is not None:
            key_ids = await self._keys.find(keys)
            if not key_ids:
                return {}
            statement = statement.where(_a.attribute_key.in_(sorted(key_ids.values())))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        names = await self._keys.names(row[1] for row in rows)
        found: dict[AttributeScope, list[AttributeKvEntry]] = {}
        for row in rows:
            found.setdefault(AttributeScope(row[0]), []).append(_entry(names[row[1]], row[2:]))
        for entries in found.values():
            entries.sort(key=lambda entry: entry.key)
        return found

    async def find_many(
        self, entity_ids: Sequence[uuid.UUID], scope: AttributeScope
    ) -> dict[uuid.UUID, list[AttributeKvEntry]]:
        """Attributes of one scope for many entities, by entity (entities without any are
        left out; entries ordered by key), one statement per ``IN (…)`` list."""
        rows: list[Any] = []
        async with self._engine.connect() as conn:
            for chunk in in_lists(entity_ids):
                statement = sa.select(_a.entity_id, _a.attribute_key, *_VALUE_COLUMNS).where(
                    _a.entity_id.in_(chunk), _a.attribute_type == scope.value
                )
                rows += (await conn.execute(statement)).all()
        names = await self._keys.names(row[1] for row in rows)
        found: dict[uuid.UUID, list[AttributeKvEntry]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(_entry(names[row[1]], row[2:]))
        for entries in found.values():
            entries.sort(key=lambda entry: entry.key)
        return found

    async def keys(self, entity_id: uuid.UUID, scope: AttributeScope | None = None) -> list[str]:
        """The attribute keys of an entity (in one scope, or in any), sorted."""
        statement = sa.select(_a.attribute_key).distinct().where(_a.entity_id == entity_id)
        if scope is not None:
            statement = statement.where(_a.attribute_type == scope.value)
        async with self._engine.connect() as conn:
            key_ids = (await conn.execute(statement)).scalars().all()
        return sorted((await self._keys.names(key_ids)).values())

    async def delete(
        self, entity_id: uuid.UUID, scope: AttributeScope, keys: Iterable[str]
    ) -> list[str]:
        """Delete ``keys`` of one scope; returns the keys that existed, sorted."""
        key_ids = await self._keys.find(keys)
        if not key_ids:
            return []
        where = (
            _a.entity_id == entity_id,
            _a.attribute_type == scope.value,
            _a.attribute_key.in_(sorted(key_ids.values())),
        )
        async with self._engine.begin() as conn:
            existing = (
                (
                    await conn.execute(
                        sa.delete(attribute_kv).where(*where).returning(_a.attribute_key)
                    )
                )
                .scalars()
                .all()
            )
        names = await self._keys.names(existing)
        return sorted(names.values())
