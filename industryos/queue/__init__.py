"""Messaging: the durable log between transports and the rule engine.

Code outside this package depends on :mod:`industryos.queue.interface` only; ``node.py``
picks the implementation (:mod:`industryos.queue.embedded` today, NATS JetStream later).
"""

from industryos.queue.interface import (
    Batch,
    CorruptLogError,
    Queue,
    QueueClosedError,
    QueueConfigError,
    QueueConsumer,
    QueueError,
    QueueProducer,
    QueueWriteError,
    Record,
    RecordTooLargeError,
    partition_for,
)

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
]
