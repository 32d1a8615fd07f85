"""The append path: buffer records from many coroutines, write and fsync them as one batch.

``add`` puts the record's bytes into the pending batch of its partition and returns a future;
the group-commit runner writes every partition the batch touched, fsyncs each of them (one
``fdatasync`` per touched partition file, however many records, all issued at once from a
small thread pool), publishes the new durable ends to readers (and the messages to each
partition's recent records, ``recent.py``) and resolves the futures.
Until then nothing is acknowledged and nothing is visible to consumers. A flush that fails
(a full disk, an I/O error) fails its appends and rewinds every partition it touched to its
last durable record (:meth:`PartitionLog.rewind`), so what it wrote, torn or whole, is
never read; appends are taken again after a pause (``retry_after_s``, doubling while writes
keep failing): the node ingests again once the disk has room, without a restart.

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

from industryos.msg import Msg
from industryos.queue.embedded.group_commit import GroupCommit
from industryos.queue.embedded.recent import Appended
from industryos.queue.embedded.segments import PartitionLog

_Work = dict[PartitionLog, tuple[list[bytes], list[Msg]]]
"""Per touched partition: the records' bytes and the messages they encode."""
_Flushed = tuple[_Work, list[Appended], int, int, int]


class LogWriter:
    """Group-commits appends to partition logs and counts what it did."""

    def __init__(
        self,
        on_durable: Callable[[Iterable[PartitionLog]], None],
        sync_threads: int = 8,
        retry_after_s: float = 1.0,
    ) -> None:
        self._on_durable = on_durable
        self._pending: _Work = {}
        self._sync_pool = ThreadPoolExecutor(sync_threads, thread_name_prefix="queue-fsync")
        self._commit: GroupCommit[_Work, _Flushed] = GroupCommit(
            "queue-writer",
            self._take,
            self._flush,
            self._done,
            recover=self._rewind,
            retry_after_s=retry_after_s,
        )
        self.appended = 0
        self.bytes_written = 0
        self.fsyncs = 0

    @property
    def commits(self) -> int:
        """Flushes done so far (each is one write and fsync round over the touched files)."""
        return self._commit.flushes

    @property
    def failures(self) -> int:
        """Flushes that failed (their appends were refused, nothing of them kept)."""
        return self._commit.failures

    @property
    def refusing(self) -> bool:
        """True while appends are refused after a failed flush."""
        return self._commit.refusing

    def add(self, log: PartitionLog, payload: bytes, msg: Msg) -> asyncio.Future[None]:
        """Add one record (``msg`` encoded as ``payload``); the future resolves once it is
        durable."""
        self._commit.check()
        batch = self._pending.get(log)
        if batch is None:
            self._pending[log] = ([payload], [msg])
        else:
            batch[0].append(payload)
            batch[1].append(msg)
        return self._commit.request()

    def add_many(self, records: Sequence[tuple[PartitionLog, bytes, Msg]]) -> asyncio.Future[None]:
        """Add records (in order per partition); the future resolves once all are durable."""
        self._commit.check()
        pending = self._pending
        for log, payload, msg in records:
            batch = pending.get(log)
            if batch is None:
                pending[log] = ([payload], [msg])
            else:
                batch[0].append(payload)
                batch[1].append(msg)
        return self._commit.request()

    def _take(self) -> _Work:
        work, self._pending = self._pending, {}
        return work

    def _flush(self, work: _Work) -> _Flushed:
        written = 0
        records = 0
        places = []
        for log, (payloads, _) in work.items():
            where = log.write(payloads)
            places.append(where)
            written += where.size
            records += len(payloads)
        if len(work) == 1:
            fsyncs = next(iter(work)).sync()
        else:
            # concurrent fsyncs of several files share the file system's journal commit:
            # 4 files cost about one fsync in parallel, several times that one after another
            fsyncs = sum(self._sync_pool.map(PartitionLog.sync, work))
        return work, places, records, written, fsyncs

    @staticmethod
    def _rewind(work: _Work) -> None:
        """After a failed flush (flush thread): forget what it wrote."""
        for log in work:
            log.rewind()

    def _done(self, result: _Flushed) -> None:
        work, places, records, written, fsyncs = result
        for (log, (payloads, msgs)), where in zip(work.items(), places, strict=True):
            log.publish()
            log.recent.add(where, payloads, msgs)
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
