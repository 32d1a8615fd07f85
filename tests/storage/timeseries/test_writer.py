"""The batch writer: every value type round-trips, latest only moves forward, concurrency."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.timeseries import TimeseriesStorage, ts_kv
from industryos.telemetry.errors import InvalidEntryError
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.query import Order, TsQuery

TENANT = uuid.uuid4()
T0 = 1_700_000_000_000
ALL_TIME = (0, 2**62)

EVERY_TYPE = [
    TsKvEntry(T0, "flag", True, DataType.BOOLEAN),
    TsKvEntry(T0, "count", -(2**63), DataType.LONG),
    TsKvEntry(T0, "temp", 21.5, DataType.DOUBLE),
    TsKvEntry(T0, "name", "Zürich \u2603 'quoted' \"x\"", DataType.STRING),
    TsKvEntry(T0, "stats", '{"cpu":[1,2.5],"ok":true,"s":"\\u00e9"}', DataType.JSON),
]


async def history(ts: TimeseriesStorage, entity: uuid.UUID, key: str) -> list[TsKvEntry]:
    """Every stored point of one key, oldest first."""
    found = await ts.store.history(entity, [TsQuery(key, *ALL_TIME, limit=10_000, order=Order.ASC)])
    return found.get(key, [])


async def test_every_value_type_round_trips(ts: TimeseriesStorage) -> None:
    """Each data type comes back with its value and type, in latest and in history."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, EVERY_TYPE)
    assert await ts.store.latest(entity) == sorted(EVERY_TYPE, key=lambda p: p.key)
    for point in EVERY_TYPE:
        assert await history(ts, entity, point.key) == [point]
    assert await ts.store.keys(entity) == sorted(p.key for p in EVERY_TYPE)


async def test_nul_characters_are_removed_from_strings(ts: TimeseriesStorage) -> None:
    """PostgreSQL text cannot hold NUL; it is stripped on both engines, as in ThingsBoard."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0, "s", "a\x00b", DataType.STRING)])
    assert await ts.store.latest(entity) == [TsKvEntry(T0, "s", "ab", DataType.STRING)]


async def test_latest_only_moves_forward(ts: TimeseriesStorage) -> None:
    """An older point is stored in history but never replaces a newer latest value."""
    entity = uuid.uuid4()
    newer = TsKvEntry(T0 + 1000, "t", 2, DataType.LONG)
    older = TsKvEntry(T0, "t", 1, DataType.LONG)
    await ts.writer.write(TENANT, entity, [newer])
    await ts.writer.write(TENANT, entity, [older])
    assert await ts.store.latest(entity, ["t"]) == [newer]
    assert await history(ts, entity, "t") == [older, newer]
    same_ts = TsKvEntry(T0 + 1000, "t", 3.5, DataType.DOUBLE)
    await ts.writer.write(TENANT, entity, [same_ts])
    assert await ts.store.latest(entity, ["t"]) == [same_ts]


async def test_rewriting_a_point_overwrites_it(ts: TimeseriesStorage) -> None:
    """A second write of (entity, key, ts) replaces the first, across and within batches."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0, "t", 1, DataType.LONG)])
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0, "t", "one", DataType.STRING)])
    assert await history(ts, entity, "t") == [TsKvEntry(T0, "t", "one", DataType.STRING)]
    first = ts.writer.submit(TENANT, entity, [TsKvEntry(T0 + 1, "t", 1, DataType.LONG)])
    second = ts.writer.submit(TENANT, entity, [TsKvEntry(T0 + 1, "t", 2, DataType.LONG)])
    assert first is second  # one batch
    await second
    assert (await history(ts, entity, "t"))[-1] == TsKvEntry(T0 + 1, "t", 2, DataType.LONG)
    assert await ts.store.latest(entity) == [TsKvEntry(T0 + 1, "t", 2, DataType.LONG)]


async def test_call_order_holds_when_an_earlier_call_brings_a_new_key(
    ts: TimeseriesStorage,
) -> None:
    """A call whose rows wait for a new key's id does not fall behind later calls."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0, "t", 0, DataType.LONG)])
    new_key = f"fresh_{uuid.uuid4().hex[:8]}"
    first = ts.writer.submit(
        TENANT,
        entity,
        [TsKvEntry(T0 + 1, "t", 1, DataType.LONG), TsKvEntry(T0 + 1, new_key, 1, DataType.LONG)],
    )
    second = ts.writer.submit(TENANT, entity, [TsKvEntry(T0 + 1, "t", 2, DataType.LONG)])
    assert first is second  # one batch
    await second
    assert await ts.store.latest(entity, ["t"]) == [TsKvEntry(T0 + 1, "t", 2, DataType.LONG)]
    assert (await history(ts, entity, "t"))[-1] == TsKvEntry(T0 + 1, "t", 2, DataType.LONG)


async def test_concurrent_writers(ts: TimeseriesStorage) -> None:
    """Many tasks writing at once are grouped into few batches and nothing is lost."""
    entities = [uuid.uuid4() for _ in range(20)]
    batches_before = ts.writer.stats.batches

    async def device(entity: uuid.UUID) -> None:
        for i in range(25):
            await ts.writer.write(
                TENANT,
                entity,
                [
                    TsKvEntry(T0 + i, "a", i, DataType.LONG),
                    TsKvEntry(T0 + i, "b", i / 2, DataType.DOUBLE),
                ],
            )

    await asyncio.gather(*(device(entity) for entity in entities))
    for entity in entities:
        assert [p.value for p in await history(ts, entity, "a")] == list(range(25))
        assert await ts.store.latest(entity) == [
            TsKvEntry(T0 + 24, "a", 24, DataType.LONG),
            TsKvEntry(T0 + 24, "b", 12.0, DataType.DOUBLE),
        ]
    assert ts.writer.stats.batches - batches_before < 20 * 25  # grouped, not one per call


async def test_large_submissions_are_split_into_bounded_batches(ts: TimeseriesStorage) -> None:
    """A batch is sealed at max_points (1000 here): 3000 points take about three batches."""
    entity = uuid.uuid4()
    before = ts.writer.stats.batches
    futures = {
        ts.writer.submit(
            TENANT, entity, [TsKvEntry(T0 + i, "k", i, DataType.LONG) for i in range(i0, i0 + 100)]
        )
        for i0 in range(0, 3000, 100)
    }
    await asyncio.gather(*futures)
    assert len(futures) == 3
    assert ts.writer.stats.batches - before == 3
    assert len(await history(ts, entity, "k")) == 3000


async def test_a_bad_entry_fails_only_its_caller(ts: TimeseriesStorage) -> None:
    """Invalid entries are refused at submit time; nothing of that call is buffered."""
    entity = uuid.uuid4()
    good = ts.writer.submit(TENANT, entity, [TsKvEntry(T0, "ok", 1, DataType.LONG)])
    bad_calls = [
        [TsKvEntry(T0, "ok2", 1, DataType.LONG), TsKvEntry(T0, "x" * 300, 1, DataType.LONG)],
        [TsKvEntry(T0, "ok2", 1, DataType.LONG), TsKvEntry(T0, "n", "1", DataType.LONG)],
        [TsKvEntry(T0, "d", float("nan"), DataType.DOUBLE)],
        [TsKvEntry(2**63, "t", 1, DataType.LONG)],
        [TsKvEntry(T0, "", 1, DataType.LONG)],
    ]
    for entries in bad_calls:
        with pytest.raises(InvalidEntryError):
            ts.writer.submit(TENANT, entity, entries)
    await good
    assert await ts.store.keys(entity) == ["ok"]


async def test_a_failed_batch_reaches_its_callers_and_the_writer_recovers(
    ts: TimeseriesStorage, engine: AsyncEngine
) -> None:
    """A database error fails the callers of that batch; later batches commit again."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0, "t", 1, DataType.LONG)])
    async with engine.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE ts_kv_latest RENAME TO ts_kv_latest_away"))
    with pytest.raises(Exception, match="ts_kv_latest"):
        await ts.writer.write(TENANT, entity, [TsKvEntry(T0 + 1, "t", 2, DataType.LONG)])
    async with engine.begin() as conn:
        await conn.execute(sa.text("ALTER TABLE ts_kv_latest_away RENAME TO ts_kv_latest"))
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0 + 2, "t", 3, DataType.LONG)])
    assert [p.value for p in await history(ts, entity, "t")] == [1, 3]
    assert ts.writer.stats.failed_batches == 1


async def test_stop_flushes_what_is_buffered(engine: AsyncEngine) -> None:
    """Stopping the writer commits pending points first; then writing is refused."""
    storage = TimeseriesStorage.create(engine, flush_interval_ms=60_000)
    await storage.writer.start()
    entity = uuid.uuid4()
    pending = storage.writer.submit(TENANT, entity, [TsKvEntry(T0, "t", 1, DataType.LONG)])
    await storage.writer.stop()
    assert pending.done()
    async with engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(ts_kv))).scalar_one() == 1
    with pytest.raises(RuntimeError):
        storage.writer.submit(TENANT, entity, [TsKvEntry(T0, "t", 1, DataType.LONG)])


async def test_empty_write_is_a_no_op(ts: TimeseriesStorage) -> None:
    """A message without values commits nothing and returns at once."""
    await ts.writer.write(TENANT, uuid.uuid4(), [])
    assert ts.writer.stats.points == 0


async def test_key_ids_are_shared_and_stable(ts: TimeseriesStorage, engine: AsyncEngine) -> None:
    """A key gets one id, created on first use, the same from a fresh dictionary."""
    from industryos.storage.timeseries import KeyDictionary

    first = await ts.keys.ids(["alpha", "beta"])
    again = await KeyDictionary(engine).ids(["beta", "alpha", "gamma"])
    assert again["alpha"] == first["alpha"]
    assert again["beta"] == first["beta"]
    assert len(set(again.values())) == 3
    assert await KeyDictionary(engine).find(["alpha", "nope"]) == {"alpha": first["alpha"]}
    assert await KeyDictionary(engine).names([first["beta"]]) == {first["beta"]: "beta"}


async def test_concurrent_key_creation_agrees(engine: AsyncEngine) -> None:
    """Two dictionaries (two nodes) creating the same new keys at once get the same ids."""
    from industryos.storage.timeseries import KeyDictionary

    keys = [f"k{i}" for i in range(50)]
    a, b = await asyncio.gather(
        KeyDictionary(engine).ids(keys), KeyDictionary(engine).ids(reversed(keys))
    )
    assert a == b
