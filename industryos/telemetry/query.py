"""Time-series read queries: raw history or aggregation into buckets (platform-api §3.5).

A :class:`TsQuery` is validated when it is built, with ThingsBoard's messages, so the REST
layer turns :class:`InvalidQueryError` into a 400 and the store never sees a bad query.

Buckets follow ThingsBoard's ``AbstractChunkedAggregationTimeseriesDao``: they start at
``start_ts``; a fixed interval makes ``[start, start+interval)`` steps, a calendar interval
(WEEK Sun-Sat, WEEK_ISO Mon-Sun, MONTH, QUARTER in ``time_zone``) ends each bucket at the
next calendar boundary; the last bucket is cut at ``end_ts``; each bucket's point sits at
its midpoint ``start + (end - start) // 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from industryos.telemetry.errors import InvalidQueryError

__all__ = ["MAX_BUCKETS", "Aggregation", "IntervalType", "Order", "TsQuery"]

MAX_BUCKETS = 700
"""ThingsBoard's ``maxTsIntervals``: more buckets than this is a bad request."""


class Aggregation(StrEnum):
    """The ``agg`` parameter."""

    NONE = "NONE"
    MIN = "MIN"
    MAX = "MAX"
    AVG = "AVG"
    SUM = "SUM"
    COUNT = "COUNT"


class IntervalType(StrEnum):
    """The ``intervalType`` parameter: a fixed interval or a calendar unit."""

    MILLISECONDS = "MILLISECONDS"
    WEEK = "WEEK"
    WEEK_ISO = "WEEK_ISO"
    MONTH = "MONTH"
    QUARTER = "QUARTER"


class Order(StrEnum):
    """The ``orderBy`` parameter of raw history."""

    ASC = "ASC"
    DESC = "DESC"


@dataclass(frozen=True, slots=True)
class TsQuery:
    """One key's history over ``[start_ts, end_ts)``: raw (``agg`` NONE) or aggregated."""

    key: str
    start_ts: int
    end_ts: int
    agg: Aggregation = Aggregation.NONE
    interval: int = 0
    interval_type: IntervalType = IntervalType.MILLISECONDS
    time_zone: str = "UTC"
    limit: int = 100
    order: Order = Order.DESC

    def __post_init__(self) -> None:
        if self.agg is Aggregation.NONE:
            if self.limit < 1:
                raise InvalidQueryError("Incorrect TsKvQuery. Limit can't be less than 1.")
            return
        if self.interval_type is IntervalType.MILLISECONDS:
            if self.interval < 1:
                raise InvalidQueryError("Incorrect TsKvQuery. Interval can't be less than 1.")
            if (self.end_ts - self.start_ts) // max(self.interval, 1000) > MAX_BUCKETS:
                raise InvalidQueryError(
                    "Incorrect TsKvQuery. Number of intervals is to high - "
                    f"{(self.end_ts - self.start_ts) // max(self.interval, 1000)}. "
                    "Please increase 'interval' parameter for your query or reduce the time range "
                    "of the query."
                )
        else:
            try:
                ZoneInfo(self.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise InvalidQueryError(f"Unknown time zone: {self.time_zone}") from None
            if len(self.bucket_bounds()) - 1 > MAX_BUCKETS:
                raise InvalidQueryError(
                    f"Incorrect TsKvQuery. Number of intervals is to high - more than {MAX_BUCKETS}"
                )

    @property
    def aggregation_end(self) -> int:
        """The end of the last bucket (ThingsBoard widens an empty range to one ms)."""
        return max(self.start_ts + 1, self.end_ts)

    def bucket_bounds(self) -> list[int]:
        """Calendar bucket boundaries ``[start, b1, …, end]`` (calendar interval types only)."""
        zone = ZoneInfo(self.time_zone)
        end = self.aggregation_end
        bounds = [self.start_ts]
        while bounds[-1] < end and len(bounds) <= MAX_BUCKETS + 1:
            bounds.append(min(_calendar_end(bounds[-1], self.interval_type, zone), end))
        return bounds


def midpoint(start: int, end: int) -> int:
    """A bucket's ts: its middle, rounded down as Java's integer division does."""
    return start + (end - start) // 2


def _calendar_end(ts: int, interval_type: IntervalType, zone: ZoneInfo) -> int:
    """The first calendar boundary after ``ts`` (``TimeUtils.calculateIntervalEnd``)."""
    day = datetime.fromtimestamp(ts // 1000, zone).date()
    if interval_type is IntervalType.WEEK:
        end_day = day - timedelta(days=(day.weekday() + 1) % 7) + timedelta(days=7)
    elif interval_type is IntervalType.WEEK_ISO:
        end_day = day - timedelta(days=day.weekday()) + timedelta(days=7)
    elif interval_type is IntervalType.MONTH:
        end_day = _add_months(day.replace(day=1), 1)
    else:
        end_day = _add_months(day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1), 3)
    # fold=0 resolves a midnight inside a DST gap or overlap as java.time does.
    end = datetime.combine(end_day, time(0), tzinfo=zone)
    return int(end.astimezone(UTC).timestamp()) * 1000


def _add_months(first_of_month: date, months: int) -> date:
    month_index = first_of_month.month - 1 + months
    return first_of_month.replace(
        year=first_of_month.year + month_index // 12, month=month_index % 12 + 1
    )
