"""The key dictionary: telemetry and attribute key names to small integer ids, cached.

Rows store a 4-byte key id instead of the name. Ids never change and are never deleted, so
the cache is a plain dict that only grows: after warm-up a lookup is a dict access and no
database round trip. Misses are resolved in one statement pair (insert-if-missing, then
select) in their own committed transaction, and cached only after that commit, so a cached
id is always a durable one.

Concurrency: ``INSERT … ON CONFLICT DO NOTHING`` makes concurrent creators (other tasks,
other nodes) agree on one id on both engines; within a process one lock serialises misses
so two tasks never resolve the same new key twice. Resolution runs before a caller opens
its write transaction: on SQLite a writer that held the write lock while waiting for a
second connection to insert a key would wait for itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from industryos.storage.engine import is_sqlite
from industryos.storage.schema import key_dictionary
from industryos.telemetry.kv import check_key

__all__ = ["KeyDictionary"]


class KeyDictionary:
    """Key name ↔ id, created on first use and cached for the life of the process."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._ids: dict[str, int] = {}
        self._names: dict[int, str] = {}
        self._lock = asyncio.Lock()
        self._insert = (sqlite.insert if is_sqlite(engine) else postgresql.insert)(key_dictionary)

    @property
    def cache(self) -> dict[str, int]:
        """The cached ids (read-only view for hot-path membership tests)."""
        return self._ids

    async def ids(self, keys: Iterable[str]) -> dict[str, int]:
        """Ids of ``keys``, creating the missing ones."""
        wanted = set(keys)
        missing = wanted - self._ids.keys()
        if missing:
            for key in missing:
                check_key(key)
            async with self._lock:
                missing -= self._ids.keys()
                if missing:
                    async with self._engine.begin() as conn:
                        await conn.execute(
                            self._insert.on_conflict_do_nothing(index_elements=["key"]),
                            [{"key": key} for key in sorted(missing)],
                        )
                        found = await self._select(conn, missing)
                    self._remember(found)
        return {key: self._ids[key] for key in wanted}

    async def find(self, keys: Iterable[str]) -> dict[str, int]:
        """Ids of the ``keys`` that exist (reads never create keys)."""
        wanted = set(keys)
        missing = wanted - self._ids.keys()
        if missing:
            async with self._engine.connect() as conn:
                self._remember(await self._select(conn, missing))
        return {key: self._ids[key] for key in wanted if key in self._ids}

    async def names(self, ids: Iterable[int]) -> dict[int, str]:
        """Names of key ids (unknown ids are loaded from the table)."""
        wanted = set(ids)
        missing = wanted - self._names.keys()
        if missing:
            async with self._engine.connect() as conn:
                rows = await conn.execute(
                    sa.select(key_dictionary.c.key, key_dictionary.c.key_id).where(
                        key_dictionary.c.key_id.in_(sorted(missing))
                    )
                )
                self._remember({key: key_id for key, key_id in rows})
        return {key_id: self._names[key_id] for key_id in wanted if key_id in self._names}

    async def _select(self, conn: AsyncConnection, keys: set[str]) -> dict[str, int]:
        rows = await conn.execute(
            sa.select(key_dictionary.c.key, key_dictionary.c.key_id).where(
                key_dictionary.c.key.in_(sorted(keys))
            )
        )
        return {key: key_id for key, key_id in rows}

    def _remember(self, found: dict[str, int]) -> None:
        self._ids.update(found)
        self._names.update((key_id, key) for key, key_id in found.items())
