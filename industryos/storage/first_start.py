"""Nodes that share one PostgreSQL database take turns at their first-start work.

A cluster's nodes are often started together (a compose file, a rolling deployment), and
on a new database each would run the migrations and make the first data (the system
administrator, the demo tenant) at the same time: one node's ``CREATE TABLE`` then failed
on the other's, and two demo tenants could be made. So each node does that work in its
turn, holding a PostgreSQL advisory lock on a connection of its own; the work checks what
is already there inside the turn (the migrations' heads, the users), so a node that waited
finds it done. Closing that connection ends the lock whatever happened, a crash included.
SQLite needs no turn: a database file belongs to one node (its data dir's lock), whose
worker 0 migrates and seeds before it lets the other workers start.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite

__all__ = ["FIRST_START_LOCK", "first_start_turn"]

log = logging.getLogger(__name__)

FIRST_START_LOCK = 0x494F_5331
"""The advisory lock's key ("IOS1"), the same for every node of every version."""


@asynccontextmanager
async def first_start_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """Wait for this node's turn at first-start work on ``engine``'s database, and hold it
    for the block."""
    if is_sqlite(engine):
        yield
        return
    conn = await engine.connect()
    try:
        key = {"key": FIRST_START_LOCK}
        if not (await conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), key)).scalar():
            log.info("waiting for another node's migrations and first data")
            await conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), key)
        await conn.commit()  # (a session lock: it outlives the transaction)
        yield
    finally:
        await conn.invalidate()  # the session ends, and with it the lock
        await conn.close()
