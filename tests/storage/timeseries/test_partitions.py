"""PostgreSQL partitions of ts_kv: created on demand, shared between nodes, ignored by
the migration comparison."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite
from industryos.storage.tables import metadata
from industryos.storage.timeseries import PgPartitions, TimeseriesStorage
from industryos.storage.timeseries.partitions import DAY_MS, include_in_migrations
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.query import TsQuery

WEEK = 7 * DAY_MS
T0 = 1_700_000_000_000  # 2023-11-14, inside the week starting 2023-11-09 (epoch-aligned)


@pytest.fixture
def pg(engine: AsyncEngine) -> AsyncEngine:
    """The PostgreSQL engine; partitions do not exist on SQLite."""
    if is_sqlite(engine):
        pytest.skip("SQLite keeps ts_kv in one table")
    return engine


async def catalog(engine: AsyncEngine) -> dict[str, str]:
    """Partition name -> bounds, straight from pg_catalog."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ts_kv'::regclass"
            )
        )
        return {name: bound for name, bound in rows}


async def test_partitions_are_created_on_demand(pg: AsyncEngine, ts: TimeseriesStorage) -> None:
    """A batch reaching new weeks creates exactly the partitions it needs, named by day."""
    assert await catalog(pg) == {}
    entity = uuid.uuid4()
    far = T0 - 52 * WEEK
    await ts.writer.write(
        uuid.uuid4(),
        entity,
        [
            TsKvEntry(T0, "t", 1, DataType.LONG),
            TsKvEntry(T0 + 1, "t", 2, DataType.LONG),
            TsKvEntry(far, "t", 0, DataType.LONG),
        ],
    )
    start = T0 - T0 % WEEK
    assert await catalog(pg) == {
        "ts_kv_2023_11_09": f"FOR VALUES FROM ('{start}') TO ('{start + WEEK}')",
        "ts_kv_2022_11_10": f"FOR VALUES FROM ('{start - 52 * WEEK}') TO ('{start - 51 * WEEK}')",
    }
    await ts.writer.write(uuid.uuid4(), entity, [TsKvEntry(T0 + 2, "t", 3, DataType.LONG)])
    assert len(await catalog(pg)) == 2
    assert ts.partitions is not None
    assert ts.partitions.covers(T0) and not ts.partitions.covers(T0 + WEEK)


async def test_two_nodes_create_the_same_partitions(pg: AsyncEngine) -> None:
    """Concurrent creators (two nodes' caches) end with one set of partitions."""
    nodes = [PgPartitions(pg, 7) for _ in range(3)]
    times = [T0 + i * DAY_MS for i in range(0, 40, 3)]
    await asyncio.gather(*(node.ensure(min(times), max(times), times) for node in nodes))
    assert len(await catalog(pg)) == len({t - t % WEEK for t in times})
    for node in nodes:
        await node.refresh()
        assert all(node.covers(t) for t in times)


async def test_a_new_partition_width_never_overlaps(pg: AsyncEngine, ts: TimeseriesStorage) -> None:
    """After a change of ts_partition_days, new partitions are clipped to their neighbours."""
    entity = uuid.uuid4()
    await ts.writer.write(uuid.uuid4(), entity, [TsKvEntry(T0, "t", 1, DataType.LONG)])
    wider = PgPartitions(pg, 30)
    times = [T0 - 20 * DAY_MS, T0 + 20 * DAY_MS]
    await wider.ensure(min(times), max(times), times)
    bounds = sorted((p.start, p.end) for p in wider.known)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(bounds))
    assert all(wider.covers(t) for t in [*times, T0])
    storage = TimeseriesStorage.create(pg, partition_days=30, flush_interval_ms=5)
    await storage.writer.start()
    try:
        await storage.writer.write(
            uuid.uuid4(), entity, [TsKvEntry(t, "t", 2, DataType.LONG) for t in times]
        )
    finally:
        await storage.writer.stop()
    found = await storage.store.history(entity, [TsQuery("t", 0, 2**62)])
    assert len(found["t"]) == 3


async def test_migration_comparison_ignores_partitions(
    pg: AsyncEngine, ts: TimeseriesStorage
) -> None:
    """With partitions present the schema still equals the metadata under env.py's hook."""
    await ts.writer.write(uuid.uuid4(), uuid.uuid4(), [TsKvEntry(T0, "t", 1, DataType.LONG)])

    def diff(include: bool) -> Callable[[sa.Connection], list[object]]:
        def compare(sync_conn: sa.Connection) -> list[object]:
            opts: dict[str, object] = {"compare_type": True}
            if include:
                opts["include_object"] = include_in_migrations
            return list(
                compare_metadata(MigrationContext.configure(sync_conn, opts=opts), metadata)
            )

        return compare

    async with pg.connect() as conn:
        assert await conn.run_sync(diff(include=True)) == []
        unfiltered = await conn.run_sync(diff(include=False))
    assert any("ts_kv_2023_11_09" in repr(item) for item in unfiltered)
