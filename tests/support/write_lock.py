"""Hold the time-series tables' write lock, so the batch writer's commit waits meanwhile.

A real lock of the real database, taken by a connection of its own: on SQLite the write
lock (``BEGIN IMMEDIATE`` on the database file), on PostgreSQL a ``SHARE`` lock on
``ts_kv_latest`` (reads go on, the writer's upsert waits). Leaving the block releases it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite, sqlite_file
from industryos.storage.sqlite_plain import connect_sqlite

__all__ = ["timeseries_commits_held"]


@asynccontextmanager
async def timeseries_commits_held(engine: AsyncEngine) -> AsyncIterator[None]:
    """Time-series batches cannot commit inside this block."""
    if is_sqlite(engine):
        path = sqlite_file(engine)
        assert path is not None, "needs an SQLite database file"
        conn = connect_sqlite(path)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield
            conn.execute("ROLLBACK")
        finally:
            conn.close()
        return
    async with engine.connect() as pg:
        await pg.execute(sa.text("LOCK TABLE ts_kv_latest IN SHARE MODE"))
        yield
        await pg.rollback()
