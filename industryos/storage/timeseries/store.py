"""Reads and deletes of stored time series (writes go through :class:`TsBatchWriter`).

Every read is scoped by entity id and key, and served by the ``(entity_id, key, ts)``
primary key: latest values from ``ts_kv_latest``, history as one index range scan per
key (half-open ``[start_ts, end_ts)``), aggregates as one GROUP BY per key. On PostgreSQL
the ts bounds prune the scan to the partitions that can hold the range.

Tenant isolation is the caller's check: rows carry no tenant, as in ThingsBoard, and the
API layer verifies that an entity belongs to the caller's tenant before it reads it here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from industryos.storage.in_lists import in_lists
from industryos.storage.timeseries.aggregate import aggregate_statement, bucket_points
from industryos.storage.timeseries.columns import decode, sql_value_columns
from industryos.storage.timeseries.keys import KeyDictionary
from industryos.storage.timeseries.schema import ts_kv, ts_kv_latest
from industryos.telemetry.backends import LatestChanges
from industryos.telemetry.kv import TsKvEntry
from industryos.telemetry.query import Aggregation, Order, TsQuery

__all__ = ["TimeseriesStore"]


def _value_columns(table: sa.Table) -> list[sa.ColumnElement[Any]]:
    c = table.c
    # json_v is read as text: values stay their JSON text, as they were written.
    return [c.bool_v, c.str_v, c.long_v, c.dbl_v, sa.cast(c.json_v, sa.Text)]


class TimeseriesStore:
    """Latest values, history, aggregates, key listing and range deletes."""

    def __init__(self, engine: AsyncEngine, keys: KeyDictionary) -> None:
        self._engine = engine
        self._keys = keys

    async def latest(
        self, entity_id: uuid.UUID, keys: Iterable[str] | None = None
    ) -> list[TsKvEntry]:
        """The newest point of each of ``keys`` (all keys if None), ordered by key."""
        c = ts_kv_latest.c
        statement = sa.select(c.key, c.ts, *_value_columns(ts_kv_latest)).where(
            c.entity_id == entity_id
        )
        if keys is not None:
            key_ids = await self._keys.find(keys)
            if not key_ids:
                return []
            statement = statement.where(c.key.in_(sorted(key_ids.values())))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement)).all()
        names = await self._keys.names(row[0] for row in rows)
        points = [TsKvEntry(row[1], names[row[0]], *decode(*row[2:])) for row in rows]
        return sorted(points, key=lambda point: point.key)

    async def latest_many(
        self, entity_ids: Sequence[uuid.UUID], keys: Iterable[str]
    ) -> dict[uuid.UUID, list[TsKvEntry]]:
        """The newest point of each of ``keys`` for many entities, one query per
        ``IN (…)`` list of them (entities without any of the keys are left out)."""
        key_ids = await self._keys.find(keys)
        if not key_ids or not entity_ids:
            return {}
        c = ts_kv_latest.c
        rows: list[Any] = []
        async with self._engine.connect() as conn:
            for chunk in in_lists(entity_ids):
                statement = sa.select(
                    c.entity_id, c.key, c.ts, *_value_columns(ts_kv_latest)
                ).where(c.entity_id.in_(chunk), c.key.in_(sorted(key_ids.values())))
                rows += (await conn.execute(statement)).all()
        names = await self._keys.names(row[1] for row in rows)
        found: dict[uuid.UUID, list[TsKvEntry]] = {}
        for row in rows:
            found.setdefault(row[0], []).append(TsKvEntry(row[2], names[row[1]], *decode(*row[3:])))
        for points in found.values():
            points.sort(key=lambda point: point.key)
        return found

    async def keys(self, entity_id: uuid.UUID) -> list[str]:
        """The time-series keys an entity has (those with a latest value), sorted."""
        c = ts_kv_latest.c
        async with self._engine.connect() as conn:
            key_ids = (
                await conn.execute(sa.select(c.key).where(c.entity_id == entity_id))
            ).scalars()
            names = await self._keys.names(key_ids.all())
        return sorted(names.values())

    async def history(
        self, entity_id: uuid.UUID, queries: Sequence[TsQuery]
    ) -> dict[str, list[TsKvEntry]]:
        """Raw or aggregated points per query key; keys without points are left out."""
        key_ids = await self._keys.find(query.key for query in queries)
        result: dict[str, list[TsKvEntry]] = {}
        async with self._engine.connect() as conn:
            for query in queries:
                key_id = key_ids.get(query.key)
                if key_id is None:
                    continue
                points = await self._query(conn, entity_id, key_id, query)
                if points:
                    result[query.key] = points
        return result

    async def _query(
        self, conn: AsyncConnection, entity_id: uuid.UUID, key_id: int, query: TsQuery
    ) -> list[TsKvEntry]:
        if query.agg is not Aggregation.NONE:
            statement, spans = aggregate_statement(entity_id, key_id, query)
            rows = (await conn.execute(statement)).all()
            return bucket_points(query.key, query.agg, rows, spans)
        c = ts_kv.c
        statement = (
            sa.select(c.ts, *_value_columns(ts_kv))
            .where(
                c.entity_id == entity_id,
                c.key == key_id,
                c.ts >= query.start_ts,
                c.ts < query.end_ts,
            )
            .order_by(c.ts.asc() if query.order is Order.ASC else c.ts.desc())
            .limit(query.limit)
        )
        rows = (await conn.execute(statement)).all()
        return [TsKvEntry(row[0], query.key, *decode(*row[1:])) for row in rows]

    async def delete(
        self,
        entity_id: uuid.UUID,
        keys: Iterable[str],
        start_ts: int,
        end_ts: int,
        *,
        delete_latest: bool = True,
        rewrite_latest: bool = False,
    ) -> LatestChanges:
        """Delete the points of ``keys`` in ``[start_ts, end_ts)``.

        With ``delete_latest`` a latest value inside the range goes too; with
        ``rewrite_latest`` it is replaced by the newest point that remains, if any.
        """
        key_ids = await self._keys.find(keys)
        if not key_ids:
            return LatestChanges()
        names = {key_id: key for key, key_id in key_ids.items()}
        t, latest = ts_kv.c, ts_kv_latest.c
        in_range = [
            t.entity_id == entity_id,
            t.key.in_(sorted(names)),
            t.ts >= start_ts,
            t.ts < end_ts,
        ]
        removed: list[str] = []
        rewritten: list[TsKvEntry] = []
        async with self._engine.begin() as conn:
            await conn.execute(sa.delete(ts_kv).where(*in_range))
            if not delete_latest:
                return LatestChanges()
            hit = await conn.execute(
                sa.select(latest.key).where(
                    latest.entity_id == entity_id,
                    latest.key.in_(sorted(names)),
                    latest.ts >= start_ts,
                    latest.ts < end_ts,
                )
            )
            for key_id in hit.scalars().all():
                series = (latest.entity_id == entity_id, latest.key == key_id)
                newest = None
                if rewrite_latest:
                    newest = (
                        await conn.execute(
                            sa.select(t.ts, *_value_columns(ts_kv))
                            .where(t.entity_id == entity_id, t.key == key_id)
                            .order_by(t.ts.desc())
                            .limit(1)
                        )
                    ).first()
                if newest is None:
                    await conn.execute(sa.delete(ts_kv_latest).where(*series))
                    removed.append(names[key_id])
                    continue
                point = TsKvEntry(newest[0], names[key_id], *decode(*newest[1:]))
                await conn.execute(
                    sa.update(ts_kv_latest)
                    .where(*series)
                    .values(
                        ts=point.ts, **sql_value_columns(point.data_type, point.value, ts_kv_latest)
                    )
                )
                rewritten.append(point)
        return LatestChanges(tuple(sorted(removed)), tuple(rewritten))
