"""The database handle services use: transactions and read connections on one engine."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.pool import QueuePool

from industryos.entities.errors import InvalidArgument
from industryos.storage.engine import is_sqlite

log = logging.getLogger(__name__)


class Database:
    """Owns the engine; hands out transactions (writes) and connections (reads)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded engine."""
        return is_sqlite(self.engine)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed on success and rolled back on error.

        A uniqueness violation that a service did not check first surfaces as
        :class:`InvalidArgument`, never as a 500.
        """
        try:
            async with self.engine.begin() as conn:
                yield conn
        except IntegrityError as exc:
            raise InvalidArgument(f"Entity violates a uniqueness rule: {exc.orig}") from exc

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads."""
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """One round trip (``SELECT 1``): raises what a query would while the database is
        down (a pooled connection is not checked by merely taking it from the pool)."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    async def close(self) -> None:
        """Release every pooled connection.

        A connection still in use now belongs to a part that did not stop; it is checked
        in to the disposed pool later and never closed, so it is logged.
        """
        pool = self.engine.pool
        in_use = pool.checkedout() if isinstance(pool, QueuePool) else 0
        if in_use:
            log.warning("closing the database with %d connection(s) still in use", in_use)
        await self.engine.dispose()
