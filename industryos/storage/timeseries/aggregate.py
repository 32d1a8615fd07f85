"""Aggregation of one series into buckets, computed by the database in one GROUP BY.

The SQL groups the rows of ``[start, end)`` by bucket number and returns, per non-empty
bucket, the partial aggregates of each value column; Python only turns those few rows
(at most 700) into typed points. A fixed interval's bucket number is integer arithmetic
on ``ts``; calendar buckets use a ``CASE`` over their (Python-computed, time-zone aware)
boundaries. Both are literal integers, so the same expression can be repeated in
``GROUP BY`` on every engine.

Result types follow ThingsBoard's SQL DAO: AVG is a DOUBLE over long and double values;
SUM is a LONG unless a double takes part; MIN/MAX compare longs and doubles numerically
and fall back to the string minimum/maximum when a bucket has no number; COUNT counts the
points. Booleans and JSON only count. Two deliberate differences, both for mixed-type
series only: ThingsBoard's MIN/MAX prefer strings over numbers and its COUNT counts one
type; here numbers win and COUNT counts every point.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import sqlalchemy as sa

from industryos.storage.timeseries.schema import ts_kv
from industryos.telemetry.kv import DataType, TsKvEntry, Value
from industryos.telemetry.query import Aggregation, IntervalType, TsQuery, midpoint

__all__ = ["aggregate_statement", "bucket_points"]

_c = ts_kv.c


def _bucket_expression(query: TsQuery) -> tuple[sa.ColumnElement[int], list[tuple[int, int]]]:
    """The SQL bucket number of a row and the ``[start, end)`` span of every bucket."""
    end = query.aggregation_end
    if query.interval_type is IntervalType.MILLISECONDS:
        start, step = query.start_ts, query.interval
        count = -(-(end - start) // step)
        spans = [(start + i * step, min(start + (i + 1) * step, end)) for i in range(count)]
        expression = f"(ts - ({start})) / {step}"
    else:
        bounds = query.bucket_bounds()
        spans = list(pairwise(bounds))
        cases = " ".join(f"WHEN ts < {b} THEN {i}" for i, b in enumerate(bounds[1:-1]))
        expression = f"CASE {cases} ELSE {len(spans) - 1} END" if cases else "0"
    return sa.literal_column(expression, sa.BigInteger()), spans


def _partials(agg: Aggregation) -> list[sa.ColumnElement[Any]]:
    f = sa.func
    if agg is Aggregation.COUNT:
        return [f.count()]
    numeric = [f.count(_c.long_v), f.count(_c.dbl_v)]
    if agg in (Aggregation.AVG, Aggregation.SUM):
        return [*numeric, f.sum(_c.long_v), f.sum(_c.dbl_v)]
    pick = f.min if agg is Aggregation.MIN else f.max
    return [*numeric, pick(_c.long_v), pick(_c.dbl_v), f.count(_c.str_v), pick(_c.str_v)]


def aggregate_statement(
    entity_id: Any, key_id: int, query: TsQuery
) -> tuple[sa.Select[Any], list[tuple[int, int]]]:
    """The GROUP BY statement of ``query`` over one series, and its bucket spans."""
    bucket, spans = _bucket_expression(query)
    statement = (
        sa.select(bucket, *_partials(query.agg))
        .where(
            _c.entity_id == entity_id,
            _c.key == key_id,
            _c.ts >= query.start_ts,
            _c.ts < query.aggregation_end,
        )
        .group_by(bucket)
        .order_by(bucket)
    )
    return statement, spans


def _value(agg: Aggregation, partials: Sequence[Any]) -> tuple[Value, DataType] | None:
    if agg is Aggregation.COUNT:
        return int(partials[0]), DataType.LONG
    n_long, n_double = partials[0], partials[1]
    if agg is Aggregation.AVG:
        if n_long + n_double == 0:
            return None
        total = float(partials[2] or 0) + float(partials[3] or 0.0)
        return total / (n_long + n_double), DataType.DOUBLE
    if agg is Aggregation.SUM:
        if n_double:
            return float(partials[3]) + float(partials[2] or 0), DataType.DOUBLE
        if n_long:
            return int(partials[2]), DataType.LONG
        return None
    pick = min if agg is Aggregation.MIN else max
    long_v, double_v, n_str, str_v = partials[2], partials[3], partials[4], partials[5]
    if n_long and n_double:
        return pick(float(long_v), float(double_v)), DataType.DOUBLE
    if n_double:
        return float(double_v), DataType.DOUBLE
    if n_long:
        return int(long_v), DataType.LONG
    if n_str:
        return str(str_v), DataType.STRING
    return None


def bucket_points(
    key: str, agg: Aggregation, rows: Sequence[Sequence[Any]], spans: list[tuple[int, int]]
) -> list[TsKvEntry]:
    """One point per non-empty bucket, at the bucket's midpoint, oldest first."""
    points = []
    for bucket, *partials in rows:
        typed = _value(agg, partials)
        if typed is not None:
            start, end = spans[bucket]
            points.append(TsKvEntry(midpoint(start, end), key, typed[0], typed[1]))
    return points
