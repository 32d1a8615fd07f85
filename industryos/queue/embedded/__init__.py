"""The embedded durable log: segment files in the data directory, fsync'd with group commit."""

from industryos.queue.embedded.consumer import EmbeddedConsumer
from industryos.queue.embedded.queue import EmbeddedQueue, EmbeddedQueueConfig
from industryos.queue.embedded.stats import GroupLag, PartitionStats, QueueStats

__all__ = [
    "EmbeddedConsumer",
    "EmbeddedQueue",
    "EmbeddedQueueConfig",
    "GroupLag",
    "PartitionStats",
    "QueueStats",
]
