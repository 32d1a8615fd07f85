"""Batched writes and age-based purging of rule events.

The rule engine's hot path only appends to an in-memory list (:meth:`EventWriter.add`); a
background task inserts whatever accumulated every ``flush_interval_s`` in one multi-row
``INSERT`` (a failed batch is retried with the next one). The buffer is bounded: past
``max_pending`` events, new ones are dropped and counted (debugging must never cost the
node its memory). Another task deletes events older
than the TTL every ``purge_interval_s``. Design limit: events still buffered when the
process is killed are lost; they are diagnostics, not data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import sqlalchemy as sa

from industryos.entities.ids import now_ms
from industryos.outages import log_failure
from industryos.rules.events.model import Event
from industryos.rules.events.schema import rule_event
from industryos.storage.database import Database

__all__ = ["EventWriter"]

log = logging.getLogger(__name__)


class EventWriter:
    """Buffers events and writes them in batches; purges those past their TTL."""

    def __init__(
        self,
        db: Database,
        ttl_s: float,
        *,
        flush_interval_s: float = 0.5,
        purge_interval_s: float = 3600.0,
        max_pending: int = 50_000,
    ) -> None:
        self._db = db
        self.ttl_s = ttl_s
        self._flush_interval_s = flush_interval_s
        self._purge_interval_s = purge_interval_s
        self._max_pending = max_pending
        self._pending: list[Event] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.dropped = 0
        """Events refused because the buffer was full."""
        self.written = 0

    def add(self, event: Event) -> None:
        """Queue one event for the next batch (never blocks, never touches the database)."""
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            return
        self._pending.append(event)

    async def flush(self) -> int:
        """Insert every buffered event in one statement; the number written."""
        batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            async with self._db.transaction() as conn:
                await conn.execute(sa.insert(rule_event), [e.to_row() for e in batch])
        except asyncio.CancelledError:
            self._pending[:0] = batch  # stop cancelled the loop mid-write: its last flush
            raise
        except Exception as exc:
            room = self._max_pending - len(self._pending)
            kept = batch[: max(0, room)]
            self._pending[:0] = kept  # retried with the next flush, oldest first
            self.dropped += len(batch) - len(kept)
            log_failure(
                log,
                exc,
                "writing %d rule events failed; %d kept for the next attempt",
                len(batch),
                len(kept),
            )
            return 0
        self.written += len(batch)
        return len(batch)

    async def purge(self, now: int | None = None) -> int:
        """Delete events older than the TTL; the number deleted."""
        cutoff = (now if now is not None else now_ms()) - int(self.ttl_s * 1000)
        async with self._db.transaction() as conn:
            result = await conn.execute(
                sa.delete(rule_event).where(rule_event.c.created_time < cutoff)
            )
        return int(result.rowcount or 0)

    async def start(self) -> None:
        """Run the flush and purge loops."""
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._every(self._flush_interval_s, self.flush)),
            loop.create_task(self._every(self._purge_interval_s, self.purge)),
        ]

    async def stop(self) -> None:
        """Stop the loops and write what is still buffered."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.flush()

    @staticmethod
    async def _every(interval_s: float, job: Callable[[], Awaitable[int]]) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await job()
            except Exception:
                log.error("rule event job failed", exc_info=True)
