"""The SQLite writer process: transactions, failures as the same exceptions, its lifetime."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from industryos.outages import is_outage
from industryos.storage.multirow import MultiRowStatement
from industryos.storage.sqlite_plain import SQLITE_PRAGMAS, connect_sqlite
from industryos.storage.sqlite_process import SqliteProcess

UPSERT = MultiRowStatement(
    "INSERT INTO t (k, v)", 2, "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
)
OTHER = MultiRowStatement("INSERT INTO other (k)", 1)
MISSING = MultiRowStatement("INSERT INTO missing (k)", 1)


@pytest.fixture
def path(tmp_path: Path) -> str:
    file = str(tmp_path / "db.sqlite")
    conn = connect_sqlite(file)
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    conn.execute("CREATE TABLE other (k INTEGER PRIMARY KEY)")
    conn.close()
    return file


@pytest.fixture
async def process(path: str) -> AsyncIterator[SqliteProcess]:
    writer = SqliteProcess(path, (*SQLITE_PRAGMAS, "PRAGMA busy_timeout=200"))
    yield writer
    await writer.close()


def _rows(path: str, sql: str) -> list[tuple[object, ...]]:
    conn = connect_sqlite(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _gone(pid: int) -> bool:
    """True once ``pid`` is no longer a running process (reaped or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


async def _until_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while not _gone(pid):
        assert time.monotonic() < deadline, f"process {pid} still runs"
        await asyncio.sleep(0.02)


async def test_a_transaction_commits_every_part(process: SqliteProcess, path: str) -> None:
    """Statements of several tables, more rows than one statement holds, one commit; the
    process's connection runs the pragmas it was given."""
    await process.transaction([(UPSERT, [(k, f"v{k}") for k in range(1200)]), (OTHER, [(1,)])])
    await process.transaction([(UPSERT, [(7, "again")])])
    assert _rows(path, "SELECT count(*), max(k) FROM t") == [(1200, 1199)]
    assert _rows(path, "SELECT v FROM t WHERE k = 7") == [("again",)]
    assert _rows(path, "SELECT k FROM other") == [(1,)]
    assert await process.query("PRAGMA synchronous") == [(2,)]  # FULL
    assert await process.query("PRAGMA busy_timeout") == [(200,)]
    assert process.pid is not None and process.pid != os.getpid()


async def test_a_failed_transaction_changes_nothing_and_keeps_its_class(
    process: SqliteProcess, path: str
) -> None:
    """A constraint error in the second part rolls back the first; it arrives as sqlite3's
    IntegrityError with SQLite's result code (not an outage: the data is wrong), and the
    process serves the next transaction."""
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL") as failed:
        await process.transaction([(OTHER, [(5,)]), (UPSERT, [(1, "a"), (2, None)])])
    assert failed.value.sqlite_errorcode & 0xFF == 19  # SQLITE_CONSTRAINT
    assert not is_outage(failed.value)
    assert _rows(path, "SELECT count(*) FROM other") == [(0,)]
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        await process.transaction([(MISSING, [(1,)])])
    await process.transaction([(UPSERT, [(3, "c")])])
    assert _rows(path, "SELECT k FROM t") == [(3,)]


async def test_a_held_write_lock_is_an_outage(process: SqliteProcess, path: str) -> None:
    """Another connection holds the write lock past the busy timeout: SQLITE_BUSY, which the
    rule engine retries (an outage); once the lock is free the same write goes through."""
    holder = connect_sqlite(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked") as busy:
            await process.transaction([(OTHER, [(1,)])])
        assert busy.value.sqlite_errorcode & 0xFF == 5
        assert is_outage(busy.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await process.transaction([(OTHER, [(1,)])])
    assert _rows(path, "SELECT k FROM other") == [(1,)]


async def test_a_killed_process_fails_its_request_and_the_next_starts_another(
    process: SqliteProcess, path: str
) -> None:
    await process.transaction([(OTHER, [(1,)])])
    first = process.pid
    assert first is not None
    holder = connect_sqlite(path)
    holder.execute("BEGIN IMMEDIATE")  # the next transaction waits inside the process
    try:
        pending = asyncio.create_task(process.transaction([(OTHER, [(2,)])]))
        await asyncio.sleep(0.05)
        os.kill(first, signal.SIGKILL)
        with pytest.raises(ConnectionResetError, match="exited") as lost:
            await pending
        assert is_outage(lost.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert process.pid is None
    await process.transaction([(OTHER, [(3,)])])
    assert process.pid not in (None, first)
    assert _rows(path, "SELECT k FROM other ORDER BY k") == [(1,), (3,)]
    await _until_gone(first)


async def test_the_process_ignores_interrupts_and_exits_when_closed(
    process: SqliteProcess, path: str
) -> None:
    """Ctrl-C in a terminal reaches the whole process group: the writer keeps serving until
    its parent closes the connection, then exits."""
    await process.transaction([(OTHER, [(1,)])])
    pid = process.pid
    assert pid is not None
    os.kill(pid, signal.SIGINT)
    os.kill(pid, signal.SIGTERM)
    await asyncio.sleep(0.1)
    await process.transaction([(OTHER, [(2,)])])
    assert process.pid == pid
    await process.close()
    assert _gone(pid)
    await process.transaction([(OTHER, [(3,)])])  # a later request starts another
    assert process.pid not in (None, pid)
    assert _rows(path, "SELECT count(*) FROM other") == [(3,)]


async def test_a_cancelled_request_leaves_the_process_usable(
    process: SqliteProcess, path: str
) -> None:
    """The answer of a cancelled request is never read, so that connection is out of step:
    it is dropped (the process finishes what it began and exits) and the next request
    starts another."""
    await process.transaction([(OTHER, [(1,)])])
    first = process.pid
    assert first is not None
    holder = connect_sqlite(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        pending = asyncio.create_task(process.transaction([(OTHER, [(2,)])]))
        await asyncio.sleep(0.05)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    await process.transaction([(UPSERT, [(1, "a")])])
    assert process.pid not in (None, first)
    await _until_gone(first)
    assert _rows(path, "SELECT k FROM t") == [(1,)]


async def test_an_unopenable_file_fails_each_request_as_an_outage(tmp_path: Path) -> None:
    writer = SqliteProcess(str(tmp_path / "no such dir" / "db.sqlite"))
    try:
        for _ in range(2):
            with pytest.raises(sqlite3.OperationalError, match="unable to open") as failed:
                await writer.transaction([(OTHER, [(1,)])])
            assert is_outage(failed.value)
    finally:
        await writer.close()
