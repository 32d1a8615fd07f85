"""The time-series parts of an ENTITY_DATA command, parsed and validated (§4.4).

``tsCmd`` (``TimeSeriesCmd``: the window ``[startTs, startTs + timeWindow)``, then live
points), ``historyCmd`` (``EntityHistoryCmd``: ``[startTs, endTs)``, one-shot),
``aggHistoryCmd`` (``AggHistoryCmd``: one aggregate per ``AggKey`` over ``[startTs, endTs)``
and optionally over a previous range) and ``aggTsCmd`` (``AggTimeSeriesCmd``: one aggregate
per ``AggKey`` over ``[startTs, startTs + timeWindow)``, then kept current). Every
:class:`~industryos.telemetry.query.TsQuery` is built here, so a bad ``agg``, ``interval``
or ``limit`` is a BAD_REQUEST before anything is subscribed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from industryos.api.ws.errors import BadCommand
from industryos.telemetry.query import Aggregation, IntervalType, Order, TsQuery

__all__ = [
    "PREVIOUS_POINT_LOOKBACK_MS",
    "AggCmd",
    "AggKey",
    "SeriesCmd",
    "SeriesCmds",
    "aggregate_query",
    "parse_series_cmds",
]

Json = Mapping[str, Any]

E = TypeVar("E", Aggregation, IntervalType)

DEFAULT_LIMIT = 100
"""ThingsBoard's limit when a command sends 0 or none."""

PREVIOUS_POINT_LOOKBACK_MS = 365 * 24 * 3600 * 1000
"""How far back ``fetchLatestPreviousPoint`` looks for the point before the window."""


def _int(body: Json, name: str, default: int = 0) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadCommand(f"'{name}' must be a number")
    return int(value)


def _enum(kind: type[E], value: Any, default: E) -> E:
    if value is None or value == "":
        return default
    try:
        return kind(str(value))
    except ValueError:
        raise BadCommand(f"Invalid {kind.__name__}: {value}") from None


def _keys(raw: Any) -> tuple[str, ...]:
    """``keys`` as ThingsBoard sends them (a list); a comma-separated string is accepted."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, list) or not all(isinstance(key, str) for key in raw):
        raise BadCommand("'keys' must be a list of key names")
    return tuple(dict.fromkeys(key.strip() for key in raw if key.strip()))


@dataclass(frozen=True, slots=True)
class SeriesCmd:
    """``tsCmd`` or ``historyCmd``: raw or aggregated points of ``keys`` in a range."""

    keys: tuple[str, ...]
    queries: tuple[TsQuery, ...]
    """One query per key, over ``[start_ts, end_ts)``."""
    start_ts: int
    fetch_previous: bool
    """Also the newest point before ``start_ts`` (``fetchLatestPreviousPoint``)."""

    def previous_queries(self) -> list[TsQuery]:
        """The newest raw point of each key in the year before the window."""
        start = self.start_ts - PREVIOUS_POINT_LOOKBACK_MS
        return [TsQuery(key, start, self.start_ts, limit=1) for key in self.keys]


def _series(body: Any, what: str, *, window: bool) -> SeriesCmd:
    if not isinstance(body, Mapping):
        raise BadCommand(f"'{what}' must be an object")
    keys = _keys(body.get("keys"))
    start = _int(body, "startTs")
    end = start + _int(body, "timeWindow") if window else _int(body, "endTs", start)
    agg = _enum(Aggregation, body.get("agg"), Aggregation.NONE)
    interval_type = _enum(IntervalType, body.get("intervalType"), IntervalType.MILLISECONDS)
    limit = _int(body, "limit") or DEFAULT_LIMIT
    queries = tuple(
        TsQuery(
            key,
            start,
            end,
            agg=agg,
            interval=_int(body, "interval"),
            interval_type=interval_type,
            time_zone=str(body.get("timeZoneId") or "UTC"),
            limit=limit,
            order=Order.DESC,
        )
        for key in keys
    )
    return SeriesCmd(keys, queries, start, bool(body.get("fetchLatestPreviousPoint")))


@dataclass(frozen=True, slots=True)
class AggKey:
    """``AggKey``: one aggregate of one key, reported under ``id`` in ``aggLatest``."""

    id: int
    key: str
    agg: Aggregation
    previous_start_ts: int | None = None
    previous_end_ts: int | None = None
    previous_only: bool = False

    @property
    def has_previous(self) -> bool:
        """A previous range to compare with was asked for."""
        return (
            self.previous_start_ts is not None
            and self.previous_end_ts is not None
            and self.previous_end_ts >= self.previous_start_ts
        )


def aggregate_query(key: AggKey, start_ts: int, end_ts: int) -> TsQuery:
    """One bucket over ``[start_ts, end_ts)``; ``NONE`` is the newest raw point in it."""
    if key.agg is Aggregation.NONE:
        return TsQuery(key.key, start_ts, end_ts, limit=1)
    return TsQuery(key.key, start_ts, end_ts, agg=key.agg, interval=max(end_ts - start_ts, 1))


def _agg_key(raw: Any) -> AggKey:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("key"), str):
        raise BadCommand("An aggregation key needs 'id' and 'key'")
    previous_start = raw.get("previousStartTs")
    previous_end = raw.get("previousEndTs")
    return AggKey(
        id=_int(raw, "id"),
        key=raw["key"],
        agg=_enum(Aggregation, raw.get("agg"), Aggregation.NONE),
        previous_start_ts=None if previous_start is None else _int(raw, "previousStartTs"),
        previous_end_ts=None if previous_end is None else _int(raw, "previousEndTs"),
        previous_only=bool(raw.get("previousValueOnly")),
    )


@dataclass(frozen=True, slots=True)
class AggCmd:
    """``aggHistoryCmd`` or ``aggTsCmd``: aggregates of ``keys`` over ``[start_ts, end_ts)``."""

    keys: tuple[AggKey, ...]
    start_ts: int
    end_ts: int

    @property
    def key_names(self) -> frozenset[str]:
        """The time-series keys the aggregates read."""
        return frozenset(key.key for key in self.keys)


def _agg(body: Any, what: str, *, window: bool) -> AggCmd:
    if not isinstance(body, Mapping):
        raise BadCommand(f"'{what}' must be an object")
    raw_keys = body.get("keys")
    if not isinstance(raw_keys, list):
        raise BadCommand("'keys' must be a list of aggregation keys")
    keys = tuple(_agg_key(raw) for raw in raw_keys)
    start = _int(body, "startTs")
    end = start + _int(body, "timeWindow") if window else _int(body, "endTs", start)
    cmd = AggCmd(keys, start, end)
    for key in keys:  # validated now, run later
        aggregate_query(key, start, end)
        if key.has_previous:
            aggregate_query(key, key.previous_start_ts or 0, key.previous_end_ts or 0)
    return cmd


@dataclass(frozen=True, slots=True)
class SeriesCmds:
    """The time-series commands of one ENTITY_DATA command (each may be absent)."""

    history: SeriesCmd | None = None
    ts: SeriesCmd | None = None
    agg_history: AggCmd | None = None
    agg_ts: AggCmd | None = None

    def __bool__(self) -> bool:
        return any(
            cmd is not None for cmd in (self.history, self.ts, self.agg_history, self.agg_ts)
        )


def parse_series_cmds(body: Json) -> SeriesCmds:
    """``historyCmd``, ``tsCmd``, ``aggHistoryCmd`` and ``aggTsCmd`` of a command body."""
    history, ts = body.get("historyCmd"), body.get("tsCmd")
    agg_history, agg_ts = body.get("aggHistoryCmd"), body.get("aggTsCmd")
    return SeriesCmds(
        history=None if history is None else _series(history, "historyCmd", window=False),
        ts=None if ts is None else _series(ts, "tsCmd", window=True),
        agg_history=None
        if agg_history is None
        else _agg(agg_history, "aggHistoryCmd", window=False),
        agg_ts=None if agg_ts is None else _agg(agg_ts, "aggTsCmd", window=True),
    )
