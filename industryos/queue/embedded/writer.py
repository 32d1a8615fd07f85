"""The append path: buffer records from many coroutines, write and fsync them as one batch.

``add`` puts the record's bytes into the pending batch of its partition and returns a future;
the group-commit runner writes every partition the batch touched, fsyncs each of them (one
``fdatasync`` per touched partition file, however many records, all issued at once from a
small thread pool), publishes the new durable ends to readers and resolves the futures.
Until then nothing is acknowledged and nothing is visible to consumers.

Records join the pending batch in call order, so appends of one originator issued without
awaiting each other (a pipelined MQTT client) are stored in the order they were issued.
There is no byte cap on a batch on purpose: a cap that makes late callers wait could let a
later call overtake an earlier one. Memory is bounded by the callers' own in-flight limits
(every caller holds its message until acknowledged), and a big batch is the cheap case: one
write and one fsync per touched partition however many records it holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from industryos.queue.embedded.group_commit import GroupCommit
from industryos.queue.embedded.segments import PartitionLog

_Work = dict[PartitionLog, list[bytes]]


class LogWriter:
    """Group-commits appends to partition logs and counts what it did."""

    def __init__(
        self, on_durable: Callable[[Iterable[PartitionLog]], None], sync_threads: int = 8
    ) -> None:
        self._on_durable = on_durable
        self._pending: _Work = {}
        self._sync_pool = ThreadPoolExecutor(sync_threads, thread_name_prefix="queue-fsync")
        self._commit: GroupCommit[_Work, tuple[_Work, int, int, int]] = GroupCommit(
            "queue-writer", self._take, self._flush, self._done
        )
        self.appended = 0
        self.bytes_written = 0
        self.fsyncs = 0

    @property
    def commits(self) -> int:
        """Flushes done so far (each is one write and fsync round over the touched files)."""
        return self._commit.flushes

    def add(self, log: PartitionLog, payload: bytes) -> asyncio.Future[None]:
        """Add one record; the future resolves once it is durable."""
        self._commit.check()
        batch = self._pending.get(log)
        if batch is None:
            self._pending[log] = [payload]
        else:
            batch.append(payload)
        return self._commit.request()

    def add_many(self, records: Sequence[tuple[PartitionLog, bytes]]) -> asyncio.Future[None]:
        """Add records (in order per partition); the future resolves once all are durable."""
        self._commit.check()
        pending = self._pending
        for log, payload in records:
            batch = pending.get(log)
            if batch is None:
                pending[log] = [payload]
            else:
                batch.append(payload)
        return self._commit.request()

    def _take(self) -> _Work:
        work, self._pending = self._pending, {}
        return work

    def _flush(self, work: _Work) -> tuple[_Work, int, int, int]:
        written = 0
        records = 0
        for log, payloads in work.items():
            written += log.write(payloads)
            records += len(payloads)
        if len(work) == 1:
            fsyncs = next(iter(work)).sync()
        else:
            # concurrent fsyncs of several files share the file system's journal commit:
            # 4 files cost about one fsync in parallel, several times that one after another
            fsyncs = sum(self._sync_pool.map(PartitionLog.sync, work))
        return work, records, written, fsyncs

    def _done(self, result: tuple[_Work, int, int, int]) -> None:
        work, records, written, fsyncs = result
        for log in work:
            log.publish()
        self.appended += records
        self.bytes_written += written
        self.fsyncs += fsyncs
        self._on_durable(work)

    async def close(self) -> None:
        """Flush pending appends and stop (the partition files stay open for the owner)."""
        try:
            await self._commit.close()
        finally:
            await asyncio.to_thread(self._sync_pool.shutdown, wait=True)
