"""Retention: default, per-tenant and per-series TTLs; partition drops; bounded deletes."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.timeseries import TimeseriesStorage, TsRetention, ts_kv
from industryos.storage.timeseries.partitions import DAY_MS
from industryos.telemetry.kv import DataType, TsKvEntry

NOW = 1_750_000_000_000


def days_ago(*ages: int) -> list[TsKvEntry]:
    """One point of key ``t`` per age in days."""
    return [TsKvEntry(NOW - age * DAY_MS, "t", age, DataType.LONG) for age in ages]


async def ages(engine: AsyncEngine, entity: uuid.UUID) -> list[int]:
    """The ages (values) of the points an entity still has, sorted."""
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(ts_kv.c.long_v).where(ts_kv.c.entity_id == entity))
        return sorted(rows.scalars())


async def test_default_ttl_removes_old_data(ts: TimeseriesStorage, engine: AsyncEngine) -> None:
    """Points older than ts_default_ttl_days (365 here) go; recent ones stay."""
    entity = uuid.uuid4()
    await ts.writer.write(uuid.uuid4(), entity, days_ago(800, 500, 10, 0))
    report = await ts.retention.run(now=NOW)
    assert await ages(engine, entity) == [0, 10]
    if ts.partitions is not None:
        assert len(report.dropped_partitions) == 2  # whole weeks: metadata operations
        assert report.deleted_rows == 0
    else:
        assert report.dropped_partitions == ()
        assert report.deleted_rows == 2


async def test_ttl_zero_keeps_everything(ts: TimeseriesStorage, engine: AsyncEngine) -> None:
    """A default TTL of 0 means keep forever."""
    entity = uuid.uuid4()
    await ts.writer.write(uuid.uuid4(), entity, days_ago(5000, 1))
    forever = TsRetention(engine, default_ttl_days=0, partitions=ts.partitions)
    assert await forever.run(now=NOW) == type(await forever.run(now=NOW))()
    assert await ages(engine, entity) == [1, 5000]


async def test_tenant_ttls(ts: TimeseriesStorage, engine: AsyncEngine) -> None:
    """A tenant with a short TTL loses old rows that another tenant keeps; 0 keeps all."""
    short, default, forever = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await ts.writer.write(short, a, days_ago(400, 100, 20, 1))
    await ts.writer.write(default, b, days_ago(400, 100, 20, 1))
    await ts.writer.write(forever, c, days_ago(400, 100, 20, 1))
    report = await ts.retention.run({short: 30, forever: 0}, now=NOW)
    assert report.dropped_partitions == ()  # a tenant keeps forever: no week may go whole
    assert await ages(engine, a) == [1, 20]
    assert await ages(engine, b) == [1, 20, 100]  # trimmed row by row to the default 365
    assert await ages(engine, c) == [1, 20, 100, 400]
    await ts.retention.run({short: 30}, now=NOW)
    assert await ages(engine, c) == [1, 20, 100]
    assert await ages(engine, a) == [1, 20]


async def test_series_ttl_from_the_write(ts: TimeseriesStorage, engine: AsyncEngine) -> None:
    """A write's ttl_s sets the TTL of that entity's series, shorter than the tenant's."""
    tenant = uuid.uuid4()
    short_lived, normal = uuid.uuid4(), uuid.uuid4()
    await ts.writer.write(tenant, short_lived, days_ago(30, 3, 0), ttl_s=7 * 86_400)
    await ts.writer.write(tenant, normal, days_ago(30, 3, 0))
    await ts.retention.run(now=NOW)
    assert await ages(engine, short_lived) == [0, 3]
    assert await ages(engine, normal) == [0, 3, 30]


async def test_deletes_run_in_bounded_batches(ts: TimeseriesStorage, engine: AsyncEngine) -> None:
    """Tiny batch limits still remove every expired row, a few rows per transaction."""
    tenant = uuid.uuid4()
    entities = [uuid.uuid4() for _ in range(5)]
    for entity in entities:
        await ts.writer.write(tenant, entity, days_ago(*range(40, 60), 1))
    bounded = TsRetention(
        engine, default_ttl_days=365, partitions=ts.partitions, batch_rows=7, batch_series=2
    )
    report = await bounded.run({tenant: 30}, now=NOW)
    assert report.deleted_rows == 5 * 20
    for entity in entities:
        assert await ages(engine, entity) == [1]


async def test_a_busy_partition_is_dropped_on_a_later_run(
    ts: TimeseriesStorage, engine: AsyncEngine
) -> None:
    """A drop that would wait for a long read gives up after a second; the next run drops."""
    if ts.partitions is None:
        pytest.skip("SQLite has no partitions")
    entity = uuid.uuid4()
    await ts.writer.write(uuid.uuid4(), entity, days_ago(800, 0))
    async with engine.connect() as reader:
        await reader.execute(sa.select(sa.func.count()).select_from(ts_kv))  # holds its lock
        report = await ts.retention.run(now=NOW)
        assert report.dropped_partitions == ()
        await reader.rollback()
    assert await ages(engine, entity) == [0, 800]
    report = await ts.retention.run(now=NOW)
    assert len(report.dropped_partitions) == 1
    assert await ages(engine, entity) == [0]
