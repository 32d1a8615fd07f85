"""The engine sinks: a batch larger than one statement, and the SQLite writer's durability."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite
from industryos.storage.timeseries import TimeseriesStorage
from industryos.storage.timeseries.sinks import PreparedBatch, SqliteSink
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.query import Order, TsQuery

TENANT = uuid.uuid4()
T0 = 1_700_000_000_000


async def test_a_batch_of_several_statements_is_stored_whole(ts: TimeseriesStorage) -> None:
    """1,001 rows in one batch: SQLite writes them as statements of 512, 256, 128, 64, 32, 8
    and 1 rows. The point written twice sits exactly on the first statement boundary (rows
    511 and 512 after sorting); the later write wins, as within any batch."""
    entity = uuid.uuid4()
    points = [TsKvEntry(T0 + i, "k", i, DataType.LONG) for i in range(1000)]
    rewrite = TsKvEntry(T0 + 511, "k", "second", DataType.STRING)
    batches = ts.writer.stats.batches
    await ts.writer.submit(TENANT, entity, [*points, rewrite])
    assert ts.writer.stats.batches == batches + 1
    query = TsQuery("k", 0, 2**62, limit=2000, order=Order.ASC)
    stored = (await ts.store.history(entity, [query]))["k"]
    assert len(stored) == 1000
    assert stored[511] == rewrite
    assert stored[:511] == points[:511] and stored[512:] == points[512:]
    assert await ts.store.latest(entity) == [points[-1]]


async def test_the_sqlite_writer_syncs_every_commit(engine: AsyncEngine) -> None:
    """The queue acks offsets once the chain's points are committed, so the writer's own
    connection must sync its WAL at every commit (``synchronous=FULL``), as the engine's do;
    with ``NORMAL`` a power loss could undo acknowledged telemetry."""
    if not is_sqlite(engine):
        pytest.skip("PostgreSQL commits through the engine's pool")
    sink = SqliteSink(engine)
    try:
        row = (uuid.uuid4().hex, 1, T0, 2, 7)  # long_v = 7
        await sink.write(PreparedBatch([row], [(*row, TENANT.hex, 0)], T0, T0))
        # the writer process's own connection, opened by the first write
        assert await sink.process.query("PRAGMA synchronous") == [(2,)]  # FULL
    finally:
        await sink.close()
