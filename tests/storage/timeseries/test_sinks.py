"""The engine sinks: a batch larger than one statement, and the SQLite writer's durability."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite
from industryos.storage.timeseries import TimeseriesStorage
from industryos.storage.timeseries.sinks import PreparedBatch, SqliteSink
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.query import Order, TsQuery

TENANT = uuid.uuid4()
T0 = 1_700_000_000_000


@pytest.fixture
async def big_batches(engine: AsyncEngine) -> AsyncIterator[TimeseriesStorage]:
    """A writer whose batches may hold 20,000 points (several SQLite statements)."""
    storage = TimeseriesStorage.create(engine, flush_interval_ms=5, batch_max_points=20_000)
    await storage.writer.start()
    yield storage
    await storage.writer.stop()


async def test_a_batch_of_several_statements_is_stored_whole(
    big_batches: TimeseriesStorage,
) -> None:
    """10,001 rows in one batch: SQLite writes them as 19 statements of 512 rows, then 256,
    16 and 1. The point written twice sits exactly on a statement boundary (rows 4,095 and
    4,096 after sorting); the later write wins, as within any batch.
    """
    ts = big_batches
    entity, other = uuid.uuid4(), uuid.uuid4()
    points = [TsKvEntry(T0 + i, "k", i, DataType.LONG) for i in range(10_000)]
    rewrite = TsKvEntry(T0 + 4095, "k", "second", DataType.STRING)
    await asyncio.gather(
        ts.writer.submit(TENANT, entity, [*points, rewrite]),
        ts.writer.submit(TENANT, other, [TsKvEntry(T0, "k", 1.5, DataType.DOUBLE)]),
    )
    stored = (
        await ts.store.history(entity, [TsQuery("k", 0, 2**62, limit=20_000, order=Order.ASC)])
    )["k"]
    assert len(stored) == 10_000
    assert stored[4095] == rewrite
    assert stored[:4095] == points[:4095] and stored[4096:] == points[4096:]
    assert await ts.store.latest(entity) == [points[-1]]
    assert await ts.store.latest(other) == [TsKvEntry(T0, "k", 1.5, DataType.DOUBLE)]


async def test_the_sqlite_writer_syncs_every_commit(engine: AsyncEngine) -> None:
    """The queue acks offsets once the chain's points are committed, so the writer's own
    connection must sync its WAL at every commit (``synchronous=FULL``), as the engine's do;
    with ``NORMAL`` a power loss could undo acknowledged telemetry."""
    if not is_sqlite(engine):
        pytest.skip("PostgreSQL commits through the engine's pool")
    sink = SqliteSink(engine)
    try:
        row = (uuid.uuid4().hex, 1, T0, None, None, 7, None, None)
        await sink.write(PreparedBatch([row], [(*row, TENANT.hex, 0)], T0, T0))
        conn = sink._conn  # the writer thread's connection, opened by the first write
        assert conn is not None
        loop = asyncio.get_running_loop()
        pragma = await loop.run_in_executor(
            sink._executor, lambda: conn.execute("PRAGMA synchronous").fetchone()[0]
        )
        assert pragma == 2  # FULL
    finally:
        await sink.close()
