"""The queue layer's interface: what transports append to and what the rule engine consumes.

Two implementations satisfy it: the embedded durable log (:mod:`industryos.queue.embedded`)
and NATS JetStream (:mod:`industryos.queue.jetstream`), shared by a cluster's nodes. The
shapes below are chosen so both fit without adapters:

======================  ==========================  ===================================
this interface          embedded log                JetStream
======================  ==========================  ===================================
topic                   a directory of partitions   a stream, subjects ``<topic>.<p>``
partition               segment files               one subject (filter) per partition
``append`` returns      after the group fsync       after the PubAck (``Nats-Msg-Id``
                                                    = ``Msg.id``: retries deduplicate)
``append_many``         one group commit            pipelined publishes, all PubAcks
consumer group          offsets file entry          a durable pull consumer per partition
                                                    (of the member holding its lease)
``fetch``               read committed segments     an open pull request (batch, expires)
``ack(p, offset)``      persist ``offset + 1``      ack each message up to ``offset`` (a
                                                    work-queue stream then deletes it)
offset                  dense per partition         stream sequence (increasing, sparse)
======================  ==========================  ===================================

So an *offset* is only promised to increase within a partition; callers never do arithmetic
on it. Delivery is at-least-once: whatever a group has not acked is delivered again after a
restart (or a new subscription), so consumers must tolerate duplicates.

Exceptions::

    QueueError                   root of everything this layer raises
    ├── QueueClosedError         the queue or consumer was closed
    ├── QueueConfigError         unknown topic, bad partition count, overlapping subscription
    ├── RecordTooLargeError      a message bigger than the configured record limit
    ├── QueueWriteError          a write or fsync failed, or the log pauses after one
    └── CorruptLogError          a record inside the log (not its torn tail) fails its CRC
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, runtime_checkable

from industryos.msg import Msg

__all__ = [
    "Batch",
    "CorruptLogError",
    "Queue",
    "QueueClosedError",
    "QueueConfigError",
    "QueueConsumer",
    "QueueError",
    "QueueProducer",
    "QueueWriteError",
    "Record",
    "RecordTooLargeError",
    "partition_for",
    "record_bytes",
]


class QueueError(Exception):
    """Root of every error the queue layer raises."""


class QueueClosedError(QueueError):
    """The queue (or this consumer) is closed."""


class QueueConfigError(QueueError):
    """A topic, partition or subscription that the queue's configuration does not allow."""


class RecordTooLargeError(QueueError):
    """A message whose serialised form exceeds the queue's record size limit."""


class QueueWriteError(QueueError):
    """Appending failed: nothing in the failed batch is acknowledged. The embedded log then
    refuses appends for a pause (doubling while writes keep failing) and tries again."""


class CorruptLogError(QueueError):
    """A record that should be intact fails its checksum (not a torn tail: bit rot, tampering)."""


def partition_for(originator_id: uuid.UUID, partitions: int) -> int:
    """The partition of an originator: a stable hash of its id modulo the partition count.

    Stable across processes, machines and Python versions (``hash()`` is not), so every node
    and every queue implementation put one device's messages in the same partition.
    """
    return _stable_hash(originator_id) % partitions


def record_bytes(msg: Msg, max_record_bytes: int) -> bytes:
    """``msg`` as a queue stores it; :class:`RecordTooLargeError` past the record limit."""
    payload = msg.to_bytes()
    if len(payload) > max_record_bytes:
        raise RecordTooLargeError(f"message of {len(payload)} bytes exceeds the limit")
    return payload


@lru_cache(maxsize=1 << 16)
def _stable_hash(originator_id: uuid.UUID) -> int:
    """64 bits of BLAKE2b of the id (cached: the same devices publish again and again)."""
    return int.from_bytes(hashlib.blake2b(originator_id.bytes, digest_size=8).digest(), "big")


@dataclass(frozen=True, slots=True)
class Record:
    """One delivered message and its position in its partition."""

    offset: int
    msg: Msg


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive records of one partition, in append order."""

    topic: str
    partition: int
    records: Sequence[Record]

    @property
    def last_offset(self) -> int:
        """The offset to pass to :meth:`QueueConsumer.ack` once the whole batch is processed."""
        return self.records[-1].offset


@runtime_checkable
class QueueProducer(Protocol):
    """The side transports see: append, and return only once the message is durable."""

    async def append(self, topic: str, msg: Msg) -> None:
        """Append ``msg`` to its originator's partition; returns once it survives a crash."""
        ...

    async def append_many(self, topic: str, msgs: Sequence[Msg]) -> None:
        """Append several messages (in order per originator); returns once all are durable."""
        ...


@runtime_checkable
class QueueConsumer(Protocol):
    """One consumer group's subscription to (some partitions of) one topic."""

    @property
    def topic(self) -> str:
        """The topic this consumer reads."""
        ...

    @property
    def group(self) -> str:
        """The consumer group whose offsets this consumer advances."""
        ...

    @property
    def partitions(self) -> Sequence[int]:
        """The partitions assigned to this consumer."""
        ...

    async def fetch(self, max_records: int = 1000, max_wait: float | None = None) -> list[Batch]:
        """Wait for records, then return at most one batch per partition.

        Successive fetches continue where the previous one stopped, without waiting for
        acks (up to the implementation's in-flight limit per partition). Returns an empty
        list when ``max_wait`` seconds pass with nothing to deliver.
        """
        ...

    async def ack(self, partition: int, offset: int) -> None:
        """Mark every record of ``partition`` up to and including ``offset`` as processed.

        Returns once the acknowledgement is durable; a restart redelivers only what follows.
        """
        ...

    async def close(self) -> None:
        """Stop consuming; unacked records are delivered again to the next subscriber."""
        ...


@runtime_checkable
class Queue(QueueProducer, Protocol):
    """A whole queue: the producer side plus consumer-group subscriptions."""

    def partition_count(self, topic: str) -> int:
        """How many partitions ``topic`` has."""
        ...

    async def subscribe(
        self, topic: str, group: str, partitions: Collection[int] | None = None
    ) -> QueueConsumer:
        """Join ``group`` on ``topic`` for ``partitions`` (all when None)."""
        ...

    async def close(self) -> None:
        """Flush what is pending and release every resource."""
        ...
