"""Read the node's time-series tables from outside the node (SQLite file or PostgreSQL).

The benchmarks use this to check that every acknowledged message was stored and to see
when a sample of devices' latest values change (device-to-stored latency). Reads are
short autocommit queries: SQLite runs in WAL mode, so they never block the node's writer.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import asyncpg

_LATEST = "SELECT entity_id, ts FROM ts_kv_latest WHERE key = {p1} AND entity_id IN ({ids})"
_COUNT = "SELECT count(*) FROM ts_kv WHERE key = {p1}"
_PER_DEVICE = (
    "SELECT d.name, count(*) FROM ts_kv t JOIN device d ON d.id = t.entity_id"
    " WHERE t.key = {p1} GROUP BY d.name"
)
_KEY = "SELECT key_id FROM key_dictionary WHERE key = {p1}"


class Store:
    """The time-series tables of one node, read-only."""

    def __init__(self, data_dir: Path, pg_url: str | None) -> None:
        self._path = data_dir / "industryos.db"
        self._pg_url = pg_url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None
        self._key: int | None = None

    async def open(self) -> None:
        """Connect (the database must exist: call after the node is ready)."""
        if self._pg_url:
            self._pg = await asyncpg.connect(self._pg_url)
        else:
            self._sqlite = sqlite3.connect(
                f"file:{self._path}?mode=ro", uri=True, isolation_level=None, timeout=30
            )

    async def close(self) -> None:
        """Disconnect."""
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    async def _rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        if self._pg is not None:
            query = sql.replace("{p1}", "$1")
            return [tuple(r) for r in await self._pg.fetch(query, *args)]
        assert self._sqlite is not None
        return list(self._sqlite.execute(sql.replace("{p1}", "?"), args).fetchall())

    async def key_id(self, key: str) -> int | None:
        """The dictionary id of ``key`` (None until the first point with it is stored)."""
        if self._key is None:
            rows = await self._rows(_KEY, key)
            self._key = int(rows[0][0]) if rows else None
        return self._key

    async def latest_ts(self, key: str, devices: list[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Latest stored ``ts`` of ``key`` per device (devices with none left out)."""
        key_id = await self.key_id(key)
        if key_id is None:
            return {}
        if self._pg is not None:
            ids = ",".join(f"'{d}'::uuid" for d in devices)
            rows = await self._rows(_LATEST.format(p1="{p1}", ids=ids), key_id)
            return {uuid.UUID(str(r[0])): int(r[1]) for r in rows}
        ids = ",".join(f"'{d.hex}'" for d in devices)
        rows = await self._rows(_LATEST.format(p1="{p1}", ids=ids), key_id)
        return {uuid.UUID(hex=str(r[0])): int(r[1]) for r in rows}

    async def count(self, key: str) -> int:
        """Stored points of ``key`` over all devices."""
        key_id = await self.key_id(key)
        if key_id is None:
            return 0
        return int((await self._rows(_COUNT, key_id))[0][0])

    async def per_device(self, key: str) -> dict[str, int]:
        """Stored points of ``key`` per device name."""
        key_id = await self.key_id(key)
        if key_id is None:
            return {}
        return {str(name): int(n) for name, n in await self._rows(_PER_DEVICE, key_id)}


async def fresh_pg_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``server_url``; its URL."""
    base = server_url.rsplit("/", 1)[0] if server_url.count("/") > 2 else server_url
    admin = await asyncpg.connect(base + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{base}/{name}"


async def drop_pg_database(server_url: str, name: str) -> None:
    """Drop database ``name`` (after the node stopped)."""
    base = server_url.rsplit("/", 1)[0] if server_url.count("/") > 2 else server_url
    admin = await asyncpg.connect(base + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()
