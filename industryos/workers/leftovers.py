"""Embedded queues a node no longer runs: their unprocessed records move to the one it runs.

Each worker keeps its own durable queue (``queue`` for worker 0, ``queue-<k>`` in the data
dir). When a node is started with fewer workers than before (or after a crash, with one
process), or on the JetStream queue (``queue_url``) where it ran embedded before, the
queues it no longer runs may still hold records their rule engine had not finished; they
were acknowledged to devices, so they must not be lost. Before its rule engine starts,
worker 0 appends every such record to its own queue (same topic; the partition follows the
originator, so one device's records keep their order), acknowledges it in the old queue and
removes the old queue once it is empty. A crash in between appends some records twice:
processing is at-least-once anyway.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from pathlib import Path

from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.queue.interface import QueueProducer

__all__ = ["adopt_leftover_queues"]

log = logging.getLogger(__name__)

_WORKER_QUEUE = re.compile(r"^queue(?:-(\d+))?$")
_BATCH = 1000


async def adopt_leftover_queues(
    data_dir: Path, workers: int, into: QueueProducer, group: str
) -> int:
    """Move what ``group`` has not acknowledged in the queues of workers ``>= workers``
    into ``into`` (``workers`` 0: every embedded queue of the data dir, for a node on
    JetStream); returns how many records moved."""
    moved = 0
    for index, path in await asyncio.to_thread(_unused_queues, data_dir, workers):
        count = await _drain(path, into, group)
        await asyncio.to_thread(shutil.rmtree, path)
        moved += count
        log.warning(
            "worker %d's queue (%s) is no longer used: %d unprocessed records moved to "
            "the node's queue",
            index,
            path,
            count,
        )
    return moved


def _unused_queues(data_dir: Path, workers: int) -> list[tuple[int, Path]]:
    """(index, dir) of the worker queues in ``data_dir`` of workers ``>= workers``."""
    found = []
    for path in sorted(data_dir.glob("queue*")):
        name = _WORKER_QUEUE.match(path.name)
        index = None if name is None else int(name.group(1) or 0)
        if index is not None and index >= workers and path.is_dir():
            found.append((index, path))
    return found


async def _drain(path: Path, into: QueueProducer, group: str) -> int:
    config = EmbeddedQueueConfig(data_dir=path)
    source = await EmbeddedQueue.open(config)
    moved = 0
    try:
        for topic in config.topics:
            consumer = await source.subscribe(topic, group)
            try:
                while batches := await consumer.fetch(max_records=_BATCH, max_wait=0):
                    for batch in batches:
                        await into.append_many(topic, [record.msg for record in batch.records])
                        await consumer.ack(batch.partition, batch.last_offset)
                        moved += len(batch.records)
            finally:
                await consumer.close()
    finally:
        await source.close()
    return moved
