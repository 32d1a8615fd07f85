"""Aggregation in SQL: buckets, midpoints, empty buckets, result types, calendar buckets."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from industryos.storage.timeseries import TimeseriesStorage
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.query import Aggregation, IntervalType, TsQuery

TENANT = uuid.uuid4()
T0 = 1_700_000_040_000  # a minute boundary
MIN = 60_000
L, D, S, B = DataType.LONG, DataType.DOUBLE, DataType.STRING, DataType.BOOLEAN


async def aggregate(
    ts: TimeseriesStorage,
    entity: uuid.UUID,
    agg: Aggregation,
    start: int,
    end: int,
    interval: int = MIN,
) -> list[tuple[int, object, DataType]]:
    """(ts, value, type) of each bucket point of key ``t``."""
    found = await ts.store.history(entity, [TsQuery("t", start, end, agg=agg, interval=interval)])
    return [(p.ts, p.value, p.data_type) for p in found.get("t", [])]


async def test_avg_per_bucket_at_midpoints_and_empty_buckets_omitted(ts: TimeseriesStorage) -> None:
    """Checklist 15: one point per non-empty bucket, at the bucket's midpoint."""
    entity = uuid.uuid4()
    points = [
        TsKvEntry(T0 + 1_000, "t", 10, L),
        TsKvEntry(T0 + 59_999, "t", 20.0, D),  # same first bucket
        TsKvEntry(T0 + 2 * MIN, "t", 7, L),  # third bucket; the second stays empty
        TsKvEntry(T0 + 4 * MIN, "t", 1, L),  # at end_ts: outside [start, end)
    ]
    await ts.writer.write(TENANT, entity, points)
    assert await aggregate(ts, entity, Aggregation.AVG, T0, T0 + 4 * MIN) == [
        (T0 + 30_000, 15.0, D),
        (T0 + 2 * MIN + 30_000, 7.0, D),
    ]


async def test_last_bucket_is_cut_at_end_and_its_midpoint_follows(ts: TimeseriesStorage) -> None:
    """A range that is not a whole number of intervals ends with a shorter bucket."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0 + MIN + 5, "t", 3, L)])
    assert await aggregate(ts, entity, Aggregation.SUM, T0, T0 + MIN + 20_000) == [
        (T0 + MIN + 10_000, 3, L)
    ]


async def test_result_types_follow_the_values(ts: TimeseriesStorage) -> None:
    """SUM/MIN/MAX of longs stay LONG, a double makes them DOUBLE, COUNT counts all points."""
    longs, mixed = uuid.uuid4(), uuid.uuid4()
    await ts.writer.write(
        TENANT, longs, [TsKvEntry(T0 + i, "t", v, L) for i, v in enumerate([5, -2, 9])]
    )
    await ts.writer.write(
        TENANT,
        mixed,
        [
            TsKvEntry(T0, "t", 5, L),
            TsKvEntry(T0 + 1, "t", 2.5, D),
            TsKvEntry(T0 + 2, "t", "text", S),
            TsKvEntry(T0 + 3, "t", True, B),
        ],
    )
    mid = T0 + 30_000
    expected = {
        Aggregation.SUM: [(mid, 12, L)],
        Aggregation.MIN: [(mid, -2, L)],
        Aggregation.MAX: [(mid, 9, L)],
        Aggregation.COUNT: [(mid, 3, L)],
        Aggregation.AVG: [(mid, 4.0, D)],
    }
    for agg, points in expected.items():
        assert await aggregate(ts, longs, agg, T0, T0 + MIN) == points, agg
    expected_mixed = {
        Aggregation.SUM: [(mid, 7.5, D)],
        Aggregation.MIN: [(mid, 2.5, D)],
        Aggregation.MAX: [(mid, 5.0, D)],
        Aggregation.COUNT: [(mid, 4, L)],
        Aggregation.AVG: [(mid, 3.75, D)],
    }
    for agg, points in expected_mixed.items():
        assert await aggregate(ts, mixed, agg, T0, T0 + MIN) == points, agg


async def test_strings_only(ts: TimeseriesStorage) -> None:
    """Without numbers MIN/MAX compare strings; AVG and SUM have nothing to aggregate."""
    entity = uuid.uuid4()
    await ts.writer.write(
        TENANT, entity, [TsKvEntry(T0, "t", "b", S), TsKvEntry(T0 + 1, "t", "a", S)]
    )
    assert await aggregate(ts, entity, Aggregation.MIN, T0, T0 + MIN) == [(T0 + 30_000, "a", S)]
    assert await aggregate(ts, entity, Aggregation.MAX, T0, T0 + MIN) == [(T0 + 30_000, "b", S)]
    assert await aggregate(ts, entity, Aggregation.AVG, T0, T0 + MIN) == []
    assert await aggregate(ts, entity, Aggregation.SUM, T0, T0 + MIN) == []


async def test_many_buckets(ts: TimeseriesStorage) -> None:
    """700 one-second buckets over a dense series: one point each, counted exactly."""
    entity = uuid.uuid4()
    await ts.writer.write(TENANT, entity, [TsKvEntry(T0 + i * 250, "t", i, L) for i in range(2800)])
    counts = await aggregate(ts, entity, Aggregation.COUNT, T0, T0 + 700_000, interval=1000)
    assert len(counts) == 700
    assert {value for _, value, _ in counts} == {4}
    assert counts[0][0] == T0 + 500
    assert counts[-1][0] == T0 + 699_500


async def test_month_buckets_in_a_time_zone(ts: TimeseriesStorage) -> None:
    """MONTH buckets end at local midnights; the points sit at each (cut) bucket's middle."""
    tz = ZoneInfo("America/New_York")

    def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
        return int(datetime(year, month, day, hour, minute, tzinfo=tz).timestamp() * 1000)

    entity = uuid.uuid4()
    await ts.writer.write(
        TENANT,
        entity,
        [
            TsKvEntry(local(2024, 1, 31, 23, 59), "t", 1, L),  # January, New York time
            TsKvEntry(local(2024, 2, 1, 0, 1), "t", 2, L),
            TsKvEntry(local(2024, 2, 20), "t", 3, L),
        ],
    )
    start, end = local(2024, 1, 15), local(2024, 3, 10)
    query = TsQuery(
        "t",
        start,
        end,
        agg=Aggregation.SUM,
        interval_type=IntervalType.MONTH,
        time_zone="America/New_York",
    )
    found = await ts.store.history(entity, [query])
    feb, mar = local(2024, 2, 1), local(2024, 3, 1)
    assert [(p.ts, p.value) for p in found["t"]] == [
        (start + (feb - start) // 2, 1),
        (feb + (mar - feb) // 2, 5),
    ]
