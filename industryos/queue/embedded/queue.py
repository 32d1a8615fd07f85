"""The embedded durable queue: topics of partitioned logs in a data directory.

Layout of the data directory (one process owns it, enforced with an exclusive ``flock``)::

    LOCK
    offsets.json                       every consumer group's committed offsets
    topics/<topic>/<partition>/<base offset>.log

A topic's partition count is fixed when it is created (the directory is built aside and
renamed into place, so it appears whole); an existing topic is opened with the count found on
disk whatever the configuration says, since another count would move originators between
partitions and break their order.

Design limits, on purpose for now:

* one fsync per *touched partition file* per commit, issued concurrently (on ext4 they
  share a journal commit, so four cost less than four after another, but each still costs
  the kernel's work and a thread's wake-up). New topics therefore get one partition; a
  shared write-ahead log with per-partition indexes (RocketMQ's commit log) would make it
  one fsync per commit whatever the count.
* one process per data directory. Several worker processes on one node would each open
  their own data directory (each worker's log holds the devices connected to it, and the
  rule engine subscribes to every worker's log), or hand appends to one owner process over
  a local socket; the lock makes a mistake here an error instead of a corruption.
* consumers read fsync'd records back from the files (the page cache, in practice);
  nothing is delivered before it is durable.
* segments are deleted when every group known for the topic has acked past them; a topic
  with no group keeps everything, and a group that never comes back keeps its segments.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import shutil
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from industryos.msg import Msg
from industryos.queue.embedded.consumer import EmbeddedConsumer
from industryos.queue.embedded.offsets import OffsetStore
from industryos.queue.embedded.segments import PartitionLog, fsync_dir
from industryos.queue.embedded.stats import GroupLag, PartitionStats, QueueStats
from industryos.queue.embedded.writer import LogWriter
from industryos.queue.interface import (
    QueueClosedError,
    QueueConfigError,
    partition_for,
    record_bytes,
)
from industryos.queue.ordering import ordered

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
"""Topic and group names: what a JetStream stream or durable consumer name also accepts."""


@dataclass(frozen=True, slots=True)
class EmbeddedQueueConfig:
    """Where the log lives, its topics and its limits."""

    data_dir: Path
    topics: Mapping[str, int] = field(
        default_factory=lambda: {"Main": 1, "HighPriority": 1, "SequentialByOriginator": 1}
    )
    """Partitions of each topic *created* here (a topic on disk keeps the count it was
    created with). One per topic, so a commit writes and syncs one file per topic it
    touched: the log is one process's, and the rule engine's lanes, not partitions, run
    its messages concurrently. Four ``Main`` partitions cost four fsyncs a commit and, at
    max-rate ingest, 6-8 % more node CPU per message (November 2026, 2 cores)."""
    segment_bytes: int = 64 << 20
    max_record_bytes: int = 1 << 20
    max_unacked: int = 10_000
    """Records one consumer may hold per partition without acking (JetStream MaxAckPending)."""
    recent_bytes: int = 256 << 10
    """Per partition, the newest durable records (up to this many bytes on disk) are also
    kept as messages, so a consumer that keeps up reads no file (0: always read the log).
    A consumer that keeps up is milliseconds behind; more only keeps messages alive through
    young garbage collections, which walk every one of them (1 MiB held ~5 s of a 5,000
    msg/s load: 80,000 objects and collections of ~45 ms)."""
    write_retry_s: float = 1.0
    """After a failed write (a full disk), appends and acks are refused this long before
    the next try; the pause doubles while writes keep failing, up to 30 s."""

    def validate(self) -> None:
        """Raise :class:`QueueConfigError` on a setting the queue cannot run with."""
        if not self.topics:
            raise QueueConfigError("at least one topic is needed")
        for topic, partitions in self.topics.items():
            if not _NAME.match(topic):
                raise QueueConfigError(f"topic name {topic!r} must match {_NAME.pattern}")
            if not 1 <= partitions <= 1024:
                raise QueueConfigError(f"topic {topic}: partitions must be 1..1024")
        if self.segment_bytes < 4096 or self.max_record_bytes < 1024:
            raise QueueConfigError("segment_bytes >= 4096 and max_record_bytes >= 1024 needed")
        if self.max_unacked < 1:
            raise QueueConfigError("max_unacked must be positive")
        if self.recent_bytes < 0:
            raise QueueConfigError("recent_bytes must not be negative")
        if self.write_retry_s <= 0:
            raise QueueConfigError("write_retry_s must be positive")


class EmbeddedQueue:
    """The embedded durable log (see :class:`industryos.queue.Queue`). Open with :meth:`open`."""

    def __init__(
        self,
        config: EmbeddedQueueConfig,
        logs: dict[str, list[PartitionLog]],
        offsets: OffsetStore,
        lock_fd: int,
        recovered_bytes: int,
    ) -> None:
        self._config = config
        self._logs = logs
        self._offsets = offsets
        self._lock_fd = lock_fd
        self._consumers: dict[str, list[EmbeddedConsumer]] = {topic: [] for topic in logs}
        self._closed = False
        self._writer = LogWriter(self._on_durable, retry_after_s=config.write_retry_s)
        offsets.start(self._retention, retry_after_s=config.write_retry_s)
        self.recovered_bytes = recovered_bytes
        """Torn-tail bytes cut off by the recovery at open."""

    @classmethod
    async def open(cls, config: EmbeddedQueueConfig) -> EmbeddedQueue:
        """Lock the data directory, recover every partition and start the writers."""
        config.validate()
        lock_fd, logs, offsets, cut = await asyncio.to_thread(_open_dir, config)
        return cls(config, logs, offsets, lock_fd, cut)

    # -- producer ------------------------------------------------------------------------

    def partition_count(self, topic: str) -> int:
        """How many partitions ``topic`` has."""
        return len(self._topic_logs(topic))

    async def append(self, topic: str, msg: Msg) -> None:
        """Append ``msg`` to its originator's partition; returns once it is fsync'd."""
        log, payload, _ = self._record(self._topic_logs(topic), msg)
        durable = self._writer.add(log, payload, msg)
        ordered()
        await durable

    async def append_many(self, topic: str, msgs: Sequence[Msg]) -> None:
        """Append several messages in one group commit; returns once all are fsync'd."""
        logs = self._topic_logs(topic)
        durable = self._writer.add_many([self._record(logs, msg) for msg in msgs])
        ordered()
        await durable

    def _record(self, logs: list[PartitionLog], msg: Msg) -> tuple[PartitionLog, bytes, Msg]:
        """The partition ``msg`` belongs to, its bytes (checked against the size limit) and
        the message."""
        payload = record_bytes(msg, self._config.max_record_bytes)
        return logs[partition_for(msg.originator.id, len(logs))], payload, msg

    def _topic_logs(self, topic: str) -> list[PartitionLog]:
        if self._closed:
            raise QueueClosedError("the queue is closed")
        logs = self._logs.get(topic)
        if logs is None:
            raise QueueConfigError(f"unknown topic {topic!r}")
        return logs

    def _on_durable(self, logs: Iterable[PartitionLog]) -> None:
        for topic in {log.topic for log in logs}:
            for consumer in self._consumers[topic]:
                consumer.notify()

    # -- consumers -----------------------------------------------------------------------

    async def subscribe(
        self, topic: str, group: str, partitions: Collection[int] | None = None
    ) -> EmbeddedConsumer:
        """Join ``group`` on ``topic`` for ``partitions`` (all when None).

        A new group starts at the oldest record on disk. Two live consumers of one group
        may not share a partition.
        """
        logs = self._topic_logs(topic)
        if not _NAME.match(group):
            raise QueueConfigError(f"group name {group!r} must match {_NAME.pattern}")
        wanted = sorted(set(range(len(logs)) if partitions is None else partitions))
        if not wanted or not all(0 <= p < len(logs) for p in wanted):
            raise QueueConfigError(f"topic {topic} has partitions 0..{len(logs) - 1}")
        for other in self._consumers[topic]:
            if other.group == group and set(other.partitions) & set(wanted):
                raise QueueConfigError(f"group {group} already consumes some of {wanted}")
        committed = self._offsets.get(group, topic)
        registering = committed is None
        if committed is None:
            committed = [log.start_offset for log in logs]
            self._offsets.set(group, topic, committed)
        start = {p: max(committed[p], logs[p].start_offset) for p in wanted}
        consumer = EmbeddedConsumer(
            topic,
            group,
            {p: logs[p] for p in wanted},
            start,
            self._offsets,
            self._config.max_unacked,
            self._config.max_record_bytes,
            self._consumers[topic].remove,
        )
        self._consumers[topic].append(consumer)
        if registering:
            try:
                await self._offsets.commit()  # from now on, retention keeps what it needs
            except BaseException:
                await consumer.close()
                raise
        return consumer

    def _retention(self) -> list[Path]:
        doomed: list[Path] = []
        for topic, logs in self._logs.items():
            floors = self._offsets.floors(topic, len(logs))
            if floors is not None:
                for log, floor in zip(logs, floors, strict=True):
                    doomed.extend(log.drop_before(floor))
        return doomed

    # -- observability and lifecycle -------------------------------------------------------

    @property
    def writes_refused(self) -> bool:
        """True while appends are refused after a failed write (see :class:`GroupCommit`)."""
        return self._writer.refusing

    @property
    def refusal(self) -> str | None:
        """Why appends are refused now (for ``/api/health``), None while they are taken."""
        if not self.writes_refused:
            return None
        return (
            "the durable queue refuses device data: a write to disk failed "
            "(disk full or I/O error, see the log); retrying"
        )

    def stats(self) -> QueueStats:
        """Counters and per-partition / per-group positions, cheap enough to poll."""
        partitions = tuple(
            PartitionStats(
                topic,
                log.partition,
                log.start_offset,
                log.end_offset,
                len(log.segments),
                sum(s.size for s in log.segments),
            )
            for topic, logs in self._logs.items()
            for log in logs
        )
        lags = []
        for group, topic in self._offsets.groups():
            committed = self._offsets.get(group, topic) or []
            for log, offset in zip(self._logs.get(topic, []), committed, strict=False):
                lags.append(GroupLag(group, topic, log.partition, offset, log.end_offset - offset))
        return QueueStats(
            appended=self._writer.appended,
            commits=self._writer.commits,
            fsyncs=self._writer.fsyncs,
            bytes_written=self._writer.bytes_written,
            offset_commits=self._offsets.flushes,
            offset_fsyncs=self._offsets.fsyncs,
            write_failures=self._writer.failures,
            offset_write_failures=self._offsets.failures,
            writes_refused=self.writes_refused,
            partitions=partitions,
            lags=tuple(lags),
        )

    async def close(self) -> None:
        """Flush pending appends and acks, close every consumer and file, release the lock."""
        if self._closed:
            return
        self._closed = True
        try:
            await self._writer.close()
            for consumers in self._consumers.values():
                for consumer in list(consumers):
                    await consumer.close()
            await self._offsets.close()
        finally:
            for logs in self._logs.values():
                for log in logs:
                    log.close_file()
            os.close(self._lock_fd)


def _reconcile(offsets: OffsetStore, logs: dict[str, list[PartitionLog]]) -> None:
    """Pull stored offsets back inside their partitions (a log lost or cut short on disk)."""
    for group, topic in offsets.groups():
        committed = offsets.get(group, topic)
        topic_logs = logs.get(topic)
        if committed is None or topic_logs is None or len(committed) != len(topic_logs):
            continue
        fixed = [min(o, log.end_offset) for o, log in zip(committed, topic_logs, strict=True)]
        if fixed != committed:
            logger.warning(
                "queue %s: group %s offsets %s are past the end of the log, reset to %s",
                topic,
                group,
                committed,
                fixed,
            )
            offsets.set(group, topic, fixed)


def _open_dir(
    config: EmbeddedQueueConfig,
) -> tuple[int, dict[str, list[PartitionLog]], OffsetStore, int]:
    """Blocking part of :meth:`EmbeddedQueue.open`."""
    root = config.data_dir
    root.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(root / "LOCK", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise QueueConfigError(f"queue directory {root} is in use by another process") from None
        topics_dir = root / "topics"
        topics_dir.mkdir(exist_ok=True)
        logs: dict[str, list[PartitionLog]] = {}
        cut = 0
        for topic, configured in config.topics.items():
            topic_dir, count = _topic_dir(topics_dir, topic, configured)
            logs[topic] = []
            for p in range(count):
                log = PartitionLog(
                    topic,
                    p,
                    topic_dir / str(p),
                    config.segment_bytes,
                    config.max_record_bytes,
                    config.recent_bytes,
                )
                cut += log.recover()
                logs[topic].append(log)
        offsets = OffsetStore(root)
        offsets.load()
        _reconcile(offsets, logs)
    except BaseException:
        os.close(lock_fd)
        raise
    return lock_fd, logs, offsets, cut


def _topic_dir(topics_dir: Path, topic: str, partitions: int) -> tuple[Path, int]:
    """The topic's directory and partition count: the count found on disk, or ``partitions``
    for a topic created now (whole: built aside, then renamed)."""
    final = topics_dir / topic
    if final.is_dir():
        found = sum(1 for p in final.iterdir() if p.is_dir() and p.name.isdigit())
        if found == 0:
            raise QueueConfigError(f"topic {topic} has no partition directory in {final}")
        if found != partitions:
            logger.info("topic %s keeps the %d partitions it was created with", topic, found)
        return final, found
    staging = topics_dir / f".{topic}.new"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for p in range(partitions):
        (staging / str(p)).mkdir()
    for p in range(partitions):
        fsync_dir(staging / str(p))
    fsync_dir(staging)
    os.rename(staging, final)
    fsync_dir(topics_dir)
    return final, partitions
