"""Time-series query validation and calendar buckets."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from industryos.telemetry.errors import InvalidQueryError
from industryos.telemetry.query import Aggregation, IntervalType, TsQuery, midpoint


def ms(year: int, month: int, day: int, *, tz: str = "UTC") -> int:
    """Epoch ms of a wall-clock time in ``tz``."""
    zone = UTC if tz == "UTC" else ZoneInfo(tz)
    return int(datetime(year, month, day, tzinfo=zone).timestamp() * 1000)


def test_aggregation_needs_a_positive_interval() -> None:
    """Checklist 15: an aggregation with interval 0 is a bad request."""
    with pytest.raises(InvalidQueryError, match="Interval"):
        TsQuery("t", 0, 1000, agg=Aggregation.AVG, interval=0)


def test_too_many_buckets() -> None:
    """More than 700 buckets of at least 1 s is a bad request."""
    TsQuery("t", 0, 700_000, agg=Aggregation.AVG, interval=1)
    with pytest.raises(InvalidQueryError, match="to high"):
        TsQuery("t", 0, 701_000, agg=Aggregation.AVG, interval=1000)


def test_raw_query_needs_a_positive_limit() -> None:
    """A raw query returns at least one point per key."""
    with pytest.raises(InvalidQueryError):
        TsQuery("t", 0, 1000, limit=0)


def test_unknown_time_zone() -> None:
    """Calendar buckets need a real time zone."""
    with pytest.raises(InvalidQueryError, match="time zone"):
        TsQuery(
            "t",
            0,
            1000,
            agg=Aggregation.SUM,
            interval_type=IntervalType.MONTH,
            time_zone="Mars/Base",
        )


def test_week_buckets_start_on_sunday() -> None:
    """WEEK buckets end on Sunday midnight; the first one starts at start_ts."""
    start = ms(2024, 1, 3)  # a Wednesday
    query = TsQuery(
        "t", start, ms(2024, 1, 20), agg=Aggregation.COUNT, interval_type=IntervalType.WEEK
    )
    assert query.bucket_bounds() == [start, ms(2024, 1, 7), ms(2024, 1, 14), ms(2024, 1, 20)]


def test_iso_week_buckets_start_on_monday() -> None:
    """WEEK_ISO buckets end on Monday midnight."""
    start = ms(2024, 1, 3)
    query = TsQuery(
        "t", start, ms(2024, 1, 16), agg=Aggregation.COUNT, interval_type=IntervalType.WEEK_ISO
    )
    assert query.bucket_bounds() == [start, ms(2024, 1, 8), ms(2024, 1, 15), ms(2024, 1, 16)]


def test_month_and_quarter_buckets_follow_the_time_zone_across_dst() -> None:
    """Calendar bounds are local midnights, so their UTC offset follows daylight saving."""
    tz = "Europe/Berlin"
    start = ms(2024, 2, 10, tz=tz)
    month = TsQuery(
        "t",
        start,
        ms(2024, 5, 1, tz=tz),
        agg=Aggregation.AVG,
        interval_type=IntervalType.MONTH,
        time_zone=tz,
    )
    assert month.bucket_bounds() == [
        start,
        ms(2024, 3, 1, tz=tz),
        ms(2024, 4, 1, tz=tz),
        ms(2024, 5, 1, tz=tz),
    ]
    assert ms(2024, 4, 1, tz=tz) - ms(2024, 3, 1, tz=tz) == 31 * 86_400_000 - 3_600_000
    quarter = TsQuery(
        "t",
        start,
        ms(2025, 1, 1, tz=tz),
        agg=Aggregation.AVG,
        interval_type=IntervalType.QUARTER,
        time_zone=tz,
    )
    assert quarter.bucket_bounds() == [
        start,
        ms(2024, 4, 1, tz=tz),
        ms(2024, 7, 1, tz=tz),
        ms(2024, 10, 1, tz=tz),
        ms(2025, 1, 1, tz=tz),
    ]


def test_empty_range_is_one_millisecond() -> None:
    """As in ThingsBoard, an aggregation with end <= start covers [start, start + 1)."""
    query = TsQuery("t", 50, 50, agg=Aggregation.COUNT, interval_type=IntervalType.MONTH)
    assert query.bucket_bounds() == [50, 51]


def test_midpoint_rounds_down() -> None:
    """A bucket's ts is its middle, rounded down like Java's integer division."""
    assert midpoint(0, 60_000) == 30_000
    assert midpoint(0, 5) == 2
