"""One consumer group's subscription to some partitions of a topic, on the embedded log.

``fetch`` hands out durable records in order per partition, continuing past what is not yet
acked up to ``max_unacked`` records per partition (JetStream's MaxAckPending); ``ack``
advances the group's durable offset. What a group has not acked is what the next subscriber
of the group (after a restart, or after this consumer closes) receives again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence

from industryos.msg import Msg
from industryos.queue.embedded.offsets import OffsetStore
from industryos.queue.embedded.reader import Cursor, PartitionReader
from industryos.queue.embedded.segments import PartitionLog, Segment
from industryos.queue.interface import (
    Batch,
    CorruptLogError,
    QueueClosedError,
    QueueConfigError,
    QueueError,
    Record,
)

_Job = tuple[int, PartitionReader, PartitionLog, int]


class EmbeddedConsumer:
    """A consumer of the embedded log (see :class:`industryos.queue.QueueConsumer`)."""

    def __init__(
        self,
        topic: str,
        group: str,
        logs: Mapping[int, PartitionLog],
        start: Mapping[int, int],
        offsets: OffsetStore,
        max_unacked: int,
        max_record_bytes: int,
        on_close: Callable[[EmbeddedConsumer], None],
    ) -> None:
        self._topic = topic
        self._group = group
        self._logs = dict(logs)
        self._offsets = offsets
        self._max_unacked = max_unacked
        self._on_close = on_close
        self._readers = {
            p: PartitionReader(f"{topic}/{p}", start[p], max_record_bytes) for p in self._logs
        }
        self._acked = dict(start)
        self._wakeup = asyncio.Event()
        self._fetching = False
        self._reading: asyncio.Future[list[tuple[int, list[tuple[int, bytes]], Cursor]]] | None
        self._reading = None
        self._closed = False

    @property
    def topic(self) -> str:
        """The topic this consumer reads."""
        return self._topic

    @property
    def group(self) -> str:
        """The consumer group whose offsets this consumer advances."""
        return self._group

    @property
    def partitions(self) -> Sequence[int]:
        """The partitions assigned to this consumer."""
        return sorted(self._logs)

    def notify(self) -> None:
        """New durable records may be there (called by the queue after a commit)."""
        self._wakeup.set()

    def lag(self) -> dict[int, int]:
        """Per partition, how many durable records this group has not acked."""
        return {p: log.end_offset - self._acked[p] for p, log in self._logs.items()}

    async def fetch(self, max_records: int = 1000, max_wait: float | None = None) -> list[Batch]:
        """Wait for records, then return at most one batch per partition (see the Protocol)."""
        if self._fetching:
            raise QueueError(f"consumer {self._group}/{self._topic}: fetch already in progress")
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self._fetching = True
        try:
            loop = asyncio.get_running_loop()
            deadline = None if max_wait is None else loop.time() + max_wait
            while True:
                if self._reading is not None:
                    # a cancelled fetch's read may still run: let it finish, ignore its result
                    # (the cursors did not move, so the same records are read again)
                    await asyncio.wait([self._reading])
                    if not self._reading.cancelled():
                        self._reading.exception()
                    self._reading = None
                if self._closed:
                    raise QueueClosedError(f"consumer {self._group}/{self._topic} is closed")
                self._wakeup.clear()
                jobs = self._jobs(max_records)
                if jobs:
                    batches = await self._read(loop, jobs)
                    if batches:
                        return batches
                    continue
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return []
                # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancel that
                # lands as the wakeup fires, and the rule engine's stop then waited forever
                try:
                    async with asyncio.timeout(remaining):
                        await self._wakeup.wait()
                except TimeoutError:
                    return []
        finally:
            self._fetching = False

    def _jobs(self, max_records: int) -> list[_Job]:
        ready = []
        for p, reader in self._readers.items():
            log = self._logs[p]
            room = self._max_unacked - (reader.next_offset - self._acked[p])
            if reader.next_offset < log.end_offset and room > 0:
                ready.append((p, reader, log, room))
        share = max(1, max_records // len(ready)) if ready else 0
        return [(p, reader, log, min(room, share)) for p, reader, log, room in ready]

    async def _read(self, loop: asyncio.AbstractEventLoop, jobs: list[_Job]) -> list[Batch]:
        """The records of ``jobs``: from the partition's recent records where it holds the
        cursor (no file read, no decode), else read and decoded in a worker thread. Cursors
        move only once every read is done, so a fetch cancelled meanwhile hands out nothing."""
        held: list[tuple[int, list[Record], Cursor]] = []
        from_disk = []
        for job in jobs:
            p, reader, log, n = job
            found = log.recent.read(reader.next_offset, n)
            if found is None:
                from_disk.append((p, reader, log.segments, n))
            else:
                held.append((p, *found))
        read: list[tuple[int, list[tuple[int, bytes]], Cursor]] = []
        if from_disk:
            self._reading = loop.run_in_executor(None, _read_all, from_disk)
            read = await asyncio.shield(self._reading)
            self._reading = None
        batches = []
        for p, records, cursor in held:
            self._readers[p].advance(cursor)
            batches.append(Batch(self._topic, p, records))
        for p, raw_records, cursor in read:
            self._readers[p].advance(cursor)
            if raw_records:
                try:
                    decoded = [Record(offset, Msg.from_bytes(raw)) for offset, raw in raw_records]
                except (ValueError, TypeError, KeyError) as exc:
                    raise CorruptLogError(f"queue {self._topic}/{p}: undecodable msg") from exc
                batches.append(Batch(self._topic, p, decoded))
        return batches

    async def ack(self, partition: int, offset: int) -> None:
        """Everything of ``partition`` up to ``offset`` is processed; returns once durable."""
        if self._closed:
            raise QueueClosedError(f"consumer {self._group}/{self._topic} is closed")
        reader = self._readers.get(partition)
        if reader is None:
            raise QueueConfigError(f"partition {partition} is not assigned to this consumer")
        if offset >= reader.next_offset:
            raise QueueError(f"offset {offset} of partition {partition} was not delivered")
        next_offset = offset + 1
        if next_offset > self._acked[partition]:
            self._acked[partition] = next_offset
            self._offsets.advance(self._group, self._topic, partition, next_offset)
            self._wakeup.set()  # room under max_unacked
        await self._offsets.commit()

    async def close(self) -> None:
        """Stop consuming; a waiting fetch raises :class:`QueueClosedError`."""
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        if self._reading is not None:
            await asyncio.wait([self._reading])
        for reader in self._readers.values():
            reader.close()
        self._on_close(self)


def _read_all(
    jobs: list[tuple[int, PartitionReader, tuple[Segment, ...], int]],
) -> list[tuple[int, list[tuple[int, bytes]], Cursor]]:
    results = []
    for p, reader, segments, n in jobs:
        records, cursor = reader.read(segments, n)
        results.append((p, records, cursor))
    return results
