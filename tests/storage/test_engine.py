"""The engine's transactions: read-then-write transactions never conflict on SQLite.

SQLite cannot upgrade a deferred transaction that has read to a writer once another
writer committed (SQLITE_BUSY at once, busy timeout or not). The engine begins every
``begin()`` transaction IMMEDIATE, so concurrent read-check-write transactions queue
for the write lock instead of failing, and none loses another's update; plain reads
stay outside any transaction and never wait for a writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.database import Database

counter = sa.Table(
    "engine_test_counter",
    sa.MetaData(),
    sa.Column("k", sa.Integer, primary_key=True),
    sa.Column("v", sa.Integer, nullable=False),
)


@pytest.fixture
async def db(engine: AsyncEngine) -> Database:
    async with engine.begin() as conn:
        await conn.run_sync(counter.create)
        await conn.execute(counter.insert().values(k=1, v=0))
    return Database(engine)


async def value(db: Database) -> int:
    async with db.read() as conn:
        return int((await conn.execute(sa.select(counter.c.v))).scalar_one())


async def test_concurrent_read_then_write_transactions_neither_fail_nor_lose_updates(
    db: Database,
) -> None:
    """Each reads the counter, lets the others run, then writes it back plus one."""
    readers = 0

    async def increment() -> None:
        nonlocal readers
        async with db.transaction() as conn:
            query = sa.select(counter.c.v).where(counter.c.k == 1).with_for_update()
            seen = (await conn.execute(query)).scalar_one()
            readers += 1
            await asyncio.sleep(0)  # the others start and read meanwhile, if they can
            await conn.execute(counter.update().values(v=seen + 1))

    results = await asyncio.gather(*(increment() for _ in range(8)), return_exceptions=True)
    assert [r for r in results if r is not None] == []
    assert readers == 8
    assert await value(db) == 8


def test_the_conflict_is_real_for_deferred_transactions(tmp_path: Path) -> None:
    """What the engine avoids: two deferred transactions that read, then both write."""
    path = tmp_path / "deferred.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE c (v INTEGER)")
    setup.execute("INSERT INTO c VALUES (0)")
    setup.close()
    first = sqlite3.connect(path, isolation_level=None, timeout=5)
    second = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        for conn in (first, second):
            conn.execute("BEGIN")
            conn.execute("SELECT v FROM c").fetchall()
        first.execute("UPDATE c SET v = v + 1")
        first.execute("COMMIT")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            second.execute("UPDATE c SET v = v + 1")  # at once, despite the 5 s timeout
        second.execute("ROLLBACK")
    finally:
        first.close()
        second.close()


async def test_a_read_does_not_wait_for_an_open_write_transaction(db: Database) -> None:
    holding, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute(counter.update().values(v=5))
            holding.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await holding.wait()
    try:
        assert await value(db) == 0  # the last committed value, read while the lock is held
    finally:
        release.set()
        await task
    assert await value(db) == 5


async def test_a_connection_without_begin_writes_atomically(db: Database) -> None:
    """Reads first, then writes: the writes are one transaction, committed or rolled back."""
    async with db.engine.connect() as conn:
        await conn.execute(sa.select(counter.c.v))
        await conn.execute(counter.insert().values(k=2, v=2))
        await conn.execute(counter.insert().values(k=3, v=3))
        await conn.rollback()
        await conn.execute(counter.insert().values(k=4, v=4))
        await conn.commit()
    async with db.read() as conn:
        keys = (await conn.execute(sa.select(counter.c.k).order_by(counter.c.k))).scalars()
        assert list(keys) == [1, 4]


async def test_a_failed_transaction_leaves_nothing_and_the_next_one_writes(db: Database) -> None:
    async def write_then_fail() -> None:
        async with db.transaction() as conn:
            await conn.execute(counter.update().values(v=9))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    assert await value(db) == 0
    async with db.transaction() as conn:
        await conn.execute(counter.update().values(v=3))
    assert await value(db) == 3


async def test_a_transaction_cancelled_while_it_waits_returns_its_connection(
    db: Database, engine: AsyncEngine
) -> None:
    """A chain timeout cancels a transaction queued behind a writer: no error, no leak.

    The cancelled connection is invalidated; the end-of-transaction hook must not touch it
    (doing so raised PendingRollbackError and kept the connection out of the pool).
    """
    holding = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as conn:
            await conn.execute(counter.update().values(v=counter.c.v + 1))
            holding.set()
            await release.wait()

    async def waiter() -> None:
        async with db.transaction() as conn:
            await conn.execute(counter.update().values(v=counter.c.v + 10))

    held = asyncio.create_task(writer())
    await holding.wait()
    # On SQLite the cancelled waiter's rollback queues behind its BEGIN IMMEDIATE in the
    # driver's thread, so the cancellation completes only when the lock wait ends: the
    # writer lets go soon after the timeout (released after it, both would wait for the
    # 30 s busy timeout)
    asyncio.get_running_loop().call_later(0.6, release.set)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await waiter()
    await held
    await waiter()
    assert await value(db) == 11
    for _ in range(100):
        if engine.pool.checkedout() == 0:  # type: ignore[attr-defined]
            break
        await asyncio.sleep(0.05)
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_commit_is_durable_on_both_engines(engine: AsyncEngine) -> None:
    """SQLite syncs the WAL at every commit (``synchronous=FULL``, 2), as PostgreSQL does
    (``synchronous_commit`` on): the rule engine acknowledges queue offsets once the
    chain's writes are committed, so a commit that a power loss can undo would lose
    acknowledged messages."""
    async with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert (await conn.exec_driver_sql("PRAGMA synchronous")).scalar_one() == 2
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar_one() == "wal"
        else:
            setting = (await conn.exec_driver_sql("SHOW synchronous_commit")).scalar_one()
            assert setting == "on"
