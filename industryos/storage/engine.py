"""Creates the async SQLAlchemy engine for the configured database.

SQLite runs in WAL mode with a busy timeout, so readers never block the single writer, and
with ``synchronous=FULL``: every commit syncs the WAL, so what is committed survives a power
loss, as PostgreSQL's commits do. With ``NORMAL`` a commit reached the disk only at the next
checkpoint, while the rule engine acknowledges a queue offset (fsync'd) once the chain's
writes are committed: a power loss in between lost acknowledged telemetry for good (a
``kill -9`` never shows it: the OS still writes its page cache). The commits are few and
large (the time-series writer groups them), so the sync costs little. PostgreSQL goes
through asyncpg with a small pool.

SQLite transactions are SQLAlchemy's, not the ``sqlite3`` driver's: its legacy mode
starts a *deferred* transaction at the first INSERT/UPDATE/DELETE and runs the SELECTs
before it outside any transaction, so a read-check-write (``engine.begin()``: read a
row, then update it) was neither isolated nor safe to make isolated: a deferred
transaction that has read cannot take the write lock once another writer committed
(SQLITE_BUSY at once, whatever the busy timeout). So here:

* an explicit transaction (``engine.begin()``, ``conn.begin()``, what
  :meth:`~industryos.storage.database.Database.transaction` hands out) starts with
  ``BEGIN IMMEDIATE``: it takes the write lock up front, waiting under the busy timeout,
  and its reads and writes are one serializable unit;
* a connection used without ``begin()`` (``engine.connect()``, ``Database.read``) stays
  in autocommit while it only reads (each SELECT sees the latest commit and never waits
  for a writer), and turns into a ``BEGIN IMMEDIATE`` transaction just before its first
  statement that writes, committed by ``commit()`` as before.

Reads therefore never queue behind writers; only transactions declared with ``begin()``
serialize, as writers must on SQLite anyway.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from industryos.start_refused import StartRefused
from industryos.storage.sqlite_plain import SQLITE_PRAGMAS

_IMPLICIT = "industryos_sqlite_implicit"
"""``Connection.info`` key: the next begin is SQLAlchemy's autobegin, not ``begin()``."""
_LAZY = "industryos_sqlite_lazy"
"""``Connection.info`` key: an autobegun transaction that has not written yet."""
_READS = ("SELECT", "PRAGMA", "EXPLAIN", "WITH", "VALUES")
"""Statements that start no write transaction (``WITH`` as in the driver's legacy mode)."""


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        sync = engine.sync_engine
        event.listen(sync, "connect", _sqlite_pragmas)
        event.listen(sync, "before_execute", _note_implicit_begin)
        event.listen(sync, "begin", _begin)
        event.listen(sync, "before_cursor_execute", _begin_before_first_write)
        event.listen(sync, "commit", _transaction_ended)
        event.listen(sync, "rollback", _transaction_ended)
        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
    )


class DatabaseUnreachable(StartRefused):
    """The database does not accept a connection (down, wrong address, no such database,
    refused credentials, a SQLite file that cannot be opened)."""


async def check_reachable(engine: AsyncEngine) -> None:
    """Connect once: a node that cannot reach its database stops with one line naming the
    database (without its password) and the reason, not a traceback from a migration."""
    path = sqlite_file(engine)
    try:
        if path is not None:
            # a plain sqlite3 connection: aiosqlite's that fails to open leaves its thread a
            # close to report to the event loop, which may have ended by then (a traceback
            # of "Event loop is closed" after the refusal, or in a later test)
            await asyncio.to_thread(_open_and_close, path)
        else:
            async with engine.connect():
                pass
    except (OSError, TimeoutError, DBAPIError, sqlite3.Error) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnreachable(
            f"the database {where} does not accept a connection: {reason}"
        ) from exc


def _open_and_close(path: str) -> None:
    sqlite3.connect(path).close()


def is_sqlite(engine: AsyncEngine) -> bool:
    """True when ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


def sqlite_file(engine: AsyncEngine) -> str | None:
    """The database file of an SQLite engine; None for PostgreSQL, in-memory or URI
    databases (nothing a second, plain ``sqlite3`` connection could open)."""
    path = engine.url.database if is_sqlite(engine) else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver never BEGINs; the hooks below do
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _note_implicit_begin(conn: Connection, *_: Any) -> None:
    """A statement outside a transaction: the begin it triggers is an autobegin."""
    if not conn.in_transaction():
        conn.info[_IMPLICIT] = True


def _begin(conn: Connection) -> None:
    """``begin()`` takes the write lock now; an autobegin waits for its first write."""
    if conn.info.pop(_IMPLICIT, False):
        conn.info[_LAZY] = True
        return
    conn.info.pop(_LAZY, None)
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_before_first_write(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
    """Open the autobegun transaction right before its first writing statement."""
    conn.info.pop(_IMPLICIT, None)
    if not conn.info.get(_LAZY):
        return
    if statement.lstrip()[:7].upper().startswith(_READS):
        return
    del conn.info[_LAZY]
    cursor.execute("BEGIN IMMEDIATE")


def _transaction_ended(conn: Connection) -> None:
    if conn.invalidated or conn.closed:
        # A cancelled statement invalidates the connection and the pool discards it;
        # reaching ``info`` now would raise PendingRollbackError or check out another.
        return
    conn.info.pop(_LAZY, None)
    conn.info.pop(_IMPLICIT, None)
