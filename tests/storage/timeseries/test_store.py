"""Reads and deletes: half-open ranges, limit and order, latest, keys, range deletes."""

from __future__ import annotations

import asyncio
import uuid

from industryos.storage.timeseries import TimeseriesStorage
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.query import Order, TsQuery

TENANT = uuid.uuid4()
T0 = 1_700_000_000_000


def long_points(key: str, times: range) -> list[TsKvEntry]:
    """One LONG point per ts, valued by its offset from T0."""
    return [TsKvEntry(T0 + t, key, t, DataType.LONG) for t in times]


async def test_range_is_half_open(ts: TimeseriesStorage) -> None:
    """Checklist 16: [startTs, endTs) includes the start and excludes the end."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, long_points("t", range(0, 100, 10)))
    found = await ts.store.history(entity, [TsQuery("t", T0 + 20, T0 + 50, order=Order.ASC)])
    assert [p.value for p in found["t"]] == [20, 30, 40]


async def test_limit_and_order(ts: TimeseriesStorage) -> None:
    """Checklist 16: ``limit`` points, newest first with DESC, oldest first with ASC."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, long_points("t", range(10)))
    desc = await ts.store.history(entity, [TsQuery("t", T0, T0 + 10, limit=3)])
    asc = await ts.store.history(entity, [TsQuery("t", T0, T0 + 10, limit=3, order=Order.ASC)])
    assert [p.value for p in desc["t"]] == [9, 8, 7]
    assert [p.value for p in asc["t"]] == [0, 1, 2]


async def test_history_of_several_keys_and_unknown_keys(ts: TimeseriesStorage) -> None:
    """Each query has its own key and limit; keys without points are left out."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, long_points("a", range(5)) + long_points("b", range(3)))
    found = await ts.store.history(
        entity,
        [TsQuery("a", T0, T0 + 5, limit=2), TsQuery("b", T0, T0 + 5), TsQuery("never", T0, T0 + 5)],
    )
    assert {key: [p.value for p in points] for key, points in found.items()} == {
        "a": [4, 3],
        "b": [2, 1, 0],
    }
    assert await ts.store.history(uuid.uuid4(), [TsQuery("a", T0, T0 + 5)]) == {}


async def test_latest_of_some_keys(ts: TimeseriesStorage) -> None:
    """Latest values of the asked keys only; unknown keys are missing from the answer."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, long_points("a", range(3)) + long_points("b", range(5)))
    assert await ts.store.latest(entity, ["b", "zzz"]) == [TsKvEntry(T0 + 4, "b", 4, DataType.LONG)]
    assert await ts.store.latest(entity, ["zzz"]) == []
    assert [p.key for p in await ts.store.latest(entity)] == ["a", "b"]
    assert await ts.store.latest(uuid.uuid4()) == []


async def test_entities_do_not_see_each_other(ts: TimeseriesStorage) -> None:
    """Same key, two entities: every read is scoped by entity."""
    one, two = uuid.uuid4(), uuid.uuid4()
    await ts.writer.write(TENANT, one, long_points("t", range(2)))
    await ts.writer.write(TENANT, two, long_points("t", range(5, 6)))
    assert [p.value for p in (await ts.store.history(one, [TsQuery("t", T0, T0 + 10)]))["t"]] == [
        1,
        0,
    ]
    assert await ts.store.latest(two) == [TsKvEntry(T0 + 5, "t", 5, DataType.LONG)]


async def test_delete_range_and_latest(ts: TimeseriesStorage) -> None:
    """A range delete removes [start, end) and, by default, a latest value inside it."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, long_points("t", range(10)) + long_points("u", range(10)))
    changes = await ts.store.delete(entity, ["t"], T0 + 5, T0 + 10)
    assert changes.removed == ("t",)
    found = await ts.store.history(entity, [TsQuery("t", T0, T0 + 100, order=Order.ASC)])
    assert [p.value for p in found["t"]] == [0, 1, 2, 3, 4]
    assert [p.key for p in await ts.store.latest(entity)] == ["u"]
    assert await ts.store.keys(entity) == ["u"]


async def test_delete_keeps_latest_outside_the_range_or_when_asked(ts: TimeseriesStorage) -> None:
    """A latest value outside the range stays, and so does one with delete_latest=False."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, long_points("t", range(10)))
    assert (await ts.store.delete(entity, ["t"], T0, T0 + 5)).removed == ()
    assert (
        await ts.store.delete(entity, ["t"], T0 + 5, T0 + 10, delete_latest=False)
    ).removed == ()
    assert await ts.store.latest(entity) == [TsKvEntry(T0 + 9, "t", 9, DataType.LONG)]
    assert await ts.store.history(entity, [TsQuery("t", T0, T0 + 100)]) == {}


async def test_delete_rewrites_latest_from_what_remains(ts: TimeseriesStorage) -> None:
    """rewriteLatestIfDeleted: the newest remaining point becomes the latest value."""
    entity = uuid.uuid4()
    points = [*long_points("t", range(8)), TsKvEntry(T0 + 9, "t", '{"a":1}', DataType.JSON)]
    await ts.writer.write(TENANT, entity, points)
    changes = await ts.store.delete(entity, ["t"], T0 + 6, T0 + 100, rewrite_latest=True)
    assert changes.rewritten == (TsKvEntry(T0 + 5, "t", 5, DataType.LONG),)
    assert await ts.store.latest(entity) == [TsKvEntry(T0 + 5, "t", 5, DataType.LONG)]
    everything = await ts.store.delete(entity, ["t"], 0, 2**62, rewrite_latest=True)
    assert everything.removed == ("t",)
    assert await ts.store.latest(entity) == []


async def test_rewritten_json_latest_keeps_its_text(ts: TimeseriesStorage) -> None:
    """A JSON point promoted back to latest is stored as JSON text, not a JSON string."""
    entity = uuid.uuid4()
    await ts.writer.write(
        TENANT,
        entity,
        [
            TsKvEntry(T0, "j", '{"a":[1,2]}', DataType.JSON),
            TsKvEntry(T0 + 1, "j", 5, DataType.LONG),
        ],
    )
    changes = await ts.store.delete(entity, ["j"], T0 + 1, T0 + 2, rewrite_latest=True)
    assert changes.rewritten == (TsKvEntry(T0, "j", '{"a":[1,2]}', DataType.JSON),)
    assert await ts.store.latest(entity) == [TsKvEntry(T0, "j", '{"a":[1,2]}', DataType.JSON)]


async def test_delete_of_unknown_keys_is_empty(ts: TimeseriesStorage) -> None:
    """Deleting keys that were never written changes nothing."""
    changes = await ts.store.delete(uuid.uuid4(), ["never"], 0, 2**62)
    assert changes.removed == ()
    assert changes.rewritten == ()


async def test_latest_of_many_entities(ts: TimeseriesStorage) -> None:
    """Many entities in one read (more than one ``IN`` list of them); entities without any
    of the keys, and keys not asked for, are left out."""
    entities = [uuid.uuid4() for _ in range(1_100)]
    await asyncio.gather(
        *(
            ts.writer.write(TENANT, entity, long_points("a", range(i % 3 + 1)))
            for i, entity in enumerate(entities)
        )
    )
    await ts.writer.write(TENANT, entities[0], long_points("b", range(2)))
    await ts.writer.write(TENANT, entities[1], long_points("c", range(2)))
    silent = uuid.uuid4()
    found = await ts.store.latest_many([*entities, silent], ["a", "b", "zzz"])
    assert set(found) == set(entities)
    assert found[entities[0]] == [
        TsKvEntry(T0, "a", 0, DataType.LONG),
        TsKvEntry(T0 + 1, "b", 1, DataType.LONG),
    ]
    assert found[entities[1]] == [TsKvEntry(T0 + 1, "a", 1, DataType.LONG)]
    assert all(
        found[entity] == [TsKvEntry(T0 + i % 3, "a", i % 3, DataType.LONG)]
        for i, entity in enumerate(entities)
        if i > 1
    )
    assert await ts.store.latest_many(entities, ["zzz"]) == {}
    assert await ts.store.latest_many([], ["a"]) == {}
