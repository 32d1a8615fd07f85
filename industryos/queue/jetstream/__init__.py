"""The queue on NATS JetStream, shared by a cluster's nodes (see :mod:`.queue`)."""

from industryos.queue.jetstream.queue import (
    JetStreamConfig,
    JetStreamQueue,
    QueueUnreachable,
    delete_queue,
)

__all__ = ["JetStreamConfig", "JetStreamQueue", "QueueUnreachable", "delete_queue"]
