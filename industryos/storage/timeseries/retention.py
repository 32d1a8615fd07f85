"""Retention: time series older than their TTL go away, by partition where possible.

The TTL of a series is the one it was last written with (``ttl_s`` > 0, from the REST
``/timeseries/{scope}/{ttl}`` path or a rule node), else its tenant's TTL (the tenant
profile's, passed in by the caller), else ``ts_default_ttl_days``; 0 means keep forever.

On PostgreSQL every partition that lies wholly before ``now - longest TTL in force`` is
dropped: a metadata operation, whatever its size. Series whose TTL is shorter than that
lose their old rows by per-series range deletes. On SQLite every series with a finite
TTL is trimmed that way. Deletes run in bounded transactions (at most ``batch_rows`` rows
and ``batch_series`` series each), so the node's writers are never locked out for long.

Design limits: a partition drop keeps up to one partition width of rows past the cutoff
until the whole partition expires; series found through ``ts_kv_latest`` only, so on
SQLite the rows of a key whose latest value was deleted are not trimmed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import now_ms
from industryos.storage.timeseries.partitions import DAY_MS, PgPartitions
from industryos.storage.timeseries.schema import ts_kv, ts_kv_latest

__all__ = ["RetentionReport", "TsRetention"]

log = logging.getLogger(__name__)

_t = ts_kv.c
_DELETE_OLD = sa.delete(ts_kv).where(
    _t.entity_id == sa.bindparam("e"),
    _t.key == sa.bindparam("k"),
    _t.ts.in_(
        sa.select(_t.ts)
        .where(
            _t.entity_id == sa.bindparam("e"),
            _t.key == sa.bindparam("k"),
            _t.ts < sa.bindparam("cutoff"),
        )
        .order_by(_t.ts)
        .limit(sa.bindparam("n"))
        .scalar_subquery()
    ),
)


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one retention run removed."""

    dropped_partitions: tuple[str, ...] = ()
    deleted_rows: int = 0


class TsRetention:
    """Applies per-series, per-tenant and default TTLs; the node's scheduler calls :meth:`run`."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        default_ttl_days: int,
        partitions: PgPartitions | None = None,
        batch_rows: int = 10_000,
        batch_series: int = 500,
    ) -> None:
        self._engine = engine
        self._default_ttl_ms = default_ttl_days * DAY_MS
        self._partitions = partitions
        self._batch_rows = batch_rows
        self._batch_series = batch_series

    async def run(
        self, tenant_ttl_days: Mapping[uuid.UUID, int] | None = None, *, now: int | None = None
    ) -> RetentionReport:
        """Remove expired time series; ``tenant_ttl_days`` overrides the default per tenant."""
        now = now_ms() if now is None else now
        overrides = {tenant: days * DAY_MS for tenant, days in (tenant_ttl_days or {}).items()}
        c = ts_kv_latest.c
        async with self._engine.connect() as conn:
            series = (await conn.execute(sa.select(c.entity_id, c.key, c.tenant_id, c.ttl_s))).all()
        ttls = [
            (
                entity,
                key,
                ttl_s * 1000 if ttl_s > 0 else overrides.get(tenant, self._default_ttl_ms),
            )
            for entity, key, tenant, ttl_s in series
        ]
        in_force = [self._default_ttl_ms, *overrides.values(), *(ttl for _, _, ttl in ttls)]
        longest = 0 if 0 in in_force else max(in_force)

        dropped: list[str] = []
        if self._partitions is not None and longest:
            dropped = await self._partitions.drop_older_than(now - longest)
            if dropped:
                log.info("retention dropped partitions %s", ", ".join(dropped))
        row_ttl_limit = longest if self._partitions is not None and longest else None
        trims = deque(
            (entity, key, now - ttl)
            for entity, key, ttl in ttls
            if ttl and (row_ttl_limit is None or ttl < row_ttl_limit)
        )
        deleted = await self._trim(trims)
        if deleted:
            log.info("retention deleted %d expired points", deleted)
        return RetentionReport(tuple(dropped), deleted)

    async def _trim(self, trims: deque[tuple[uuid.UUID, int, int]]) -> int:
        """Delete the rows before each series' cutoff, in bounded transactions."""
        deleted = 0
        while trims:
            budget, series = self._batch_rows, 0
            async with self._engine.begin() as conn:
                while trims and budget > 0 and series < self._batch_series:
                    entity, key, cutoff = trims[0]
                    result = await conn.execute(
                        _DELETE_OLD, {"e": entity, "k": key, "cutoff": cutoff, "n": budget}
                    )
                    count = result.rowcount
                    deleted += count
                    series += 1
                    if count < budget:
                        trims.popleft()
                    budget -= count
            await asyncio.sleep(0)  # let writers in between two transactions
        return deleted
