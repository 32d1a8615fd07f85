"""The batch writer every time-series write goes through: group commit over one flush task.

Callers ``await writer.write(tenant_id, entity_id, entries, ttl_s)`` and resume when the
batch holding their points is committed (or get its error); ``enqueue`` returns as soon as
the points have their place, with the future of the commit, so a caller can announce
accepted points first (the telemetry service's early listeners). One flush task takes the
buffered batch when it is ``ts_flush_interval_ms`` old or holds ``ts_batch_max_points``
points, whichever comes first, and writes it in one transaction through the engine's sink.
While a batch is being written the next one fills, so under load batches grow by
themselves and the database sees few, large transactions; a quiet system still commits
within one interval.

Hot-path budget: ``submit`` validates each point and builds its row in the same pass (a
dict lookup for the key id, a type test and a tuple per point), so that work runs while
the previous batch is in the database rather than inside the serial flush; the flush
sorts, derives the latest rows and runs one transaction. A call with a key the dictionary
has not seen yet is kept aside and built after the flush has created the key. Entity and
tenant ids are turned into their 32-digit hex form once per call: both drivers accept it
for ``uuid`` columns, and strings sort in C, exactly in PostgreSQL's uuid order.

``submit`` is the non-blocking form for callers that pipeline many writes (a queue
consumer): it returns the batch's future. ``write`` adds back-pressure: when more than
``max_pending_points`` are buffered it waits for the flusher before adding more.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import is_sqlite
from industryos.storage.timeseries.columns import ROW_BUILDERS
from industryos.storage.timeseries.keys import KeyDictionary
from industryos.storage.timeseries.partitions import PgPartitions
from industryos.storage.timeseries.sinks import BatchSink, PgSink, PreparedBatch, SqliteSink
from industryos.telemetry.kv import (
    TS_MAX,
    TS_MIN,
    TsKvEntry,
    check_key,
    check_ts,
    check_value,
)

__all__ = ["TsBatchWriter", "WriterStats"]

log = logging.getLogger(__name__)

_PRIMARY_KEY = itemgetter(0, 1, 2)
_TS = itemgetter(2)


class WriterStats:
    """Counters of what the writer committed (for metrics and the benchmark)."""

    __slots__ = ("batches", "failed_batches", "points")

    def __init__(self) -> None:
        self.batches = 0
        self.points = 0
        self.failed_batches = 0


class _Batch:
    __slots__ = (
        "due",
        "future",
        "new_keys",
        "points",
        "rows",
        "series",
        "timer",
        "unresolved",
        "waiters",
    )

    def __init__(self, future: asyncio.Future[None]) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.series: dict[str, tuple[str, int]] = {}
        """entity hex -> (tenant hex, ttl_s) of its latest rows"""
        self.unresolved: list[tuple[str, Sequence[TsKvEntry]]] = []
        """calls with keys not in the dictionary yet: built at flush time"""
        self.new_keys: set[str] = set()
        self.points = 0
        self.future = future
        self.waiters: list[asyncio.Future[None]] = []
        """one per :meth:`TsBatchWriter.write` call: a caller that gives up cancels only
        its own (``asyncio.shield`` per call did the same with two more callbacks)"""
        self.due = False
        """set by the batch's own timer: no clock comparison can disagree with it"""
        self.timer: asyncio.TimerHandle | None = None

    def settle(self, outcome: BaseException | None) -> None:
        """Resolve the shared future and every caller's own: committed (None), failed, or
        cancelled (``CancelledError``: the writer was killed). A caller that gave up
        already has its future done and is skipped."""
        for future in (self.future, *self.waiters):
            if future.done():
                continue
            if outcome is None:
                future.set_result(None)
            elif isinstance(outcome, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(outcome)


class TsBatchWriter:
    """Buffers time-series points and commits them in batches from one flush task."""

    def __init__(
        self,
        engine: AsyncEngine,
        keys: KeyDictionary,
        *,
        flush_interval_ms: int = 100,
        max_points: int = 20_000,
        partitions: PgPartitions | None = None,
        max_pending_points: int | None = None,
    ) -> None:
        if is_sqlite(engine):
            self._sink: BatchSink = SqliteSink(engine)
        else:
            if partitions is None:
                raise ValueError("PostgreSQL needs the PgPartitions of ts_kv")
            self._sink = PgSink(engine, partitions)
        self._keys = keys
        self._interval = flush_interval_ms / 1000
        self._max_points = max_points
        self._max_pending = max_pending_points or 10 * max_points
        self._open: _Batch | None = None
        self._sealed: deque[_Batch] = deque()
        self._pending_points = 0
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.stats = WriterStats()

    async def start(self) -> None:
        """Start the flush task."""
        if self._task is None:
            self._closing = False
            self._task = asyncio.create_task(self._run(), name="ts-batch-writer")

    async def stop(self) -> None:
        """Flush everything buffered, then stop the flush task."""
        self._closing = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
            await self._sink.close()

    async def write(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> None:
        """Store ``entries`` of one entity; returns once they are committed."""
        await (await self.enqueue(tenant_id, entity_id, entries, ttl_s))

    async def enqueue(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> asyncio.Future[None]:
        """Wait for room, then buffer ``entries``; returns once they have their place in a
        batch, with a future of this call's own that resolves at the batch's commit.

        Raises :class:`InvalidEntryError` for an entry the store cannot take, before
        anything of the call is buffered.
        """
        while self._pending_points >= self._max_pending and not self._closing:
            self._drained.clear()
            await self._drained.wait()
        batch = self._add(tenant_id, entity_id, entries, ttl_s)
        # A future of its own: one caller giving up must not cancel the batch's future.
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if batch is None:
            waiter.set_result(None)
        else:
            batch.waiters.append(waiter)
        return waiter

    def submit(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> asyncio.Future[None]:
        """Buffer ``entries`` without waiting; the returned future resolves at commit.

        The future is shared by every call in the batch: a caller that may be cancelled
        awaits it through ``asyncio.shield`` (:meth:`write` gives each call a future of
        its own instead).

        Raises :class:`InvalidEntryError` at once for an entry the store cannot take.
        ``ttl_s`` (seconds, 0 = the tenant's default) becomes the TTL of the entity's series.
        """
        batch = self._add(tenant_id, entity_id, entries, ttl_s)
        if batch is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        return batch.future

    def _add(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int,
    ) -> _Batch | None:
        """Put ``entries`` in the open batch (None: there was nothing to add)."""
        if self._task is None or self._closing:
            raise RuntimeError("the time-series writer is not running")
        entity = entity_id.hex
        rows, new_keys = _rows(entity, entries, self._keys.cache)
        if not entries:
            return None
        batch = self._open
        if batch is None:
            batch = self._open = self._new_batch()
        if new_keys or batch.unresolved:
            # rows wait for key ids; every later call waits behind them, so the batch
            # keeps call order (among equal points the last write must stay last)
            batch.new_keys |= new_keys
            batch.unresolved.append((entity, entries))
        else:
            batch.rows += rows
        batch.series[entity] = (tenant_id.hex, ttl_s)
        count = len(entries)
        batch.points += count
        self._pending_points += count
        if batch.points >= self._max_points:
            self._sealed.append(batch)
            self._open = None
            self._wakeup.set()
        return batch

    def _new_batch(self) -> _Batch:
        loop = asyncio.get_running_loop()
        batch = _Batch(loop.create_future())
        batch.timer = loop.call_later(self._interval, self._expire, batch)
        return batch

    def _expire(self, batch: _Batch) -> None:
        batch.due = True
        self._wakeup.set()

    def _next_due(self) -> _Batch | None:
        if self._sealed:
            batch = self._sealed.popleft()
        elif self._open is not None and (self._open.due or self._closing):
            batch, self._open = self._open, None
        else:
            return None
        if batch.timer is not None:
            batch.timer.cancel()
        return batch

    async def _run(self) -> None:
        batch: _Batch | None = None
        try:
            while True:
                await self._wakeup.wait()
                self._wakeup.clear()
                while (batch := self._next_due()) is not None:
                    await self._flush(batch)
                batch = None
                if self._closing and self._open is None and not self._sealed:
                    return
        except asyncio.CancelledError:
            # Killed without stop() (loop shutdown): release every caller still waiting.
            for pending in (batch, *self._sealed, self._open):
                if pending is not None:
                    pending.settle(asyncio.CancelledError())
            raise

    async def _flush(self, batch: _Batch) -> None:
        started = time.perf_counter()
        try:
            if batch.new_keys:
                await self._keys.ids(batch.new_keys)
            await self._sink.write(self._prepare(batch))
        except Exception as exc:
            self.stats.failed_batches += 1
            log.error("time-series batch of %d points failed: %r", batch.points, exc)
            batch.settle(exc)
            batch.future.add_done_callback(_retrieve)
        else:
            self.stats.batches += 1
            self.stats.points += batch.points
            batch.settle(None)
            log.debug(
                "committed %d points in %.1f ms",
                batch.points,
                1000 * (time.perf_counter() - started),
            )
        finally:
            self._pending_points -= batch.points
            if self._pending_points < self._max_pending:
                self._drained.set()

    def _prepare(self, batch: _Batch) -> PreparedBatch:
        """Rows sorted by primary key and the newest point of every series."""
        rows = batch.rows
        for entity, entries in batch.unresolved:
            rows += _rows(entity, entries, self._keys.cache)[0]
        rows.sort(key=_PRIMARY_KEY)  # stable: among equal points the last write stays last
        newest = {row[:2]: row for row in rows}
        series = batch.series
        latest = [(*row, *series[row[0]]) for row in newest.values()]
        return PreparedBatch(rows, latest, min(map(_TS, rows)), max(map(_TS, rows)))


def _rows(
    entity: str, entries: Sequence[TsKvEntry], key_ids: dict[str, int]
) -> tuple[list[tuple[Any, ...]], set[str]]:
    """Validate ``entries`` and build their rows; keys without an id yet are returned.

    Rows are only complete when no key is new (the caller builds them again later).
    A bad entry raises :class:`InvalidEntryError` before anything of the call is buffered.
    """
    rows: list[tuple[Any, ...]] = []
    new_keys: set[str] = set()
    builders = ROW_BUILDERS
    for ts, key, value, data_type in entries:
        if type(ts) is not int or not TS_MIN <= ts <= TS_MAX:
            check_ts(key, ts)
        key_id = key_ids.get(key)
        if key_id is None:
            check_key(key)
            new_keys.add(key)
            key_id = 0
        try:
            rows.append(builders[data_type](entity, key_id, ts, value))
        except (ValueError, KeyError):
            check_value(key, value, data_type)
            raise
    return rows, new_keys


def _retrieve(future: asyncio.Future[None]) -> None:
    """Mark a failed batch's exception as seen even if no caller awaited it."""
    if not future.cancelled():
        future.exception()
