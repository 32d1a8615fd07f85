"""Queues of workers a node no longer runs: worker 0 takes over what they had not finished."""

from __future__ import annotations

import asyncio
from pathlib import Path

from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.workers.leftovers import adopt_leftover_queues
from tests.queue.conftest import device, drain, messages, seq_of, telemetry
from tests.support.jetstream import OpenJetStream

GROUP = "rule-engine"


async def _worker_queue(path: Path, sent: int, processed: int) -> None:
    """A worker's queue: ``sent`` records of two devices, the first ``processed`` of each
    device's partition acknowledged by the rule engine."""
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=path))
    try:
        for seq in range(sent):
            await queue.append_many("Main", [telemetry(device(1), seq), telemetry(device(2), seq)])
        consumer = await queue.subscribe("Main", GROUP)
        for batch in await drain(consumer):
            done = [r for r in batch.records if seq_of(r.msg) < processed]
            if done:
                await consumer.ack(batch.partition, done[-1].offset)
        await consumer.close()
    finally:
        await queue.close()


async def test_unprocessed_records_of_a_dropped_worker_move_to_worker_0(tmp_path: Path) -> None:
    await _worker_queue(tmp_path / "queue-1", sent=10, processed=4)
    await _worker_queue(tmp_path / "queue-2", sent=3, processed=3)  # all done: nothing moves
    own = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    try:
        assert await adopt_leftover_queues(tmp_path, 1, own, GROUP) == 12
        assert not (tmp_path / "queue-1").exists() and not (tmp_path / "queue-2").exists()
        consumer = await own.subscribe("Main", GROUP)
        moved = messages(await drain(consumer))
        by_device = {n: [seq_of(m) for m in moved if m.originator == device(n)] for n in (1, 2)}
        assert by_device == {1: [4, 5, 6, 7, 8, 9], 2: [4, 5, 6, 7, 8, 9]}  # in order
        await consumer.close()
    finally:
        await own.close()


async def test_the_queues_of_running_workers_are_left_alone(tmp_path: Path) -> None:
    await _worker_queue(tmp_path / "queue-1", sent=5, processed=0)
    (tmp_path / "queue-notes").mkdir()  # not a worker's queue
    own = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    try:
        assert await adopt_leftover_queues(tmp_path, 2, own, GROUP) == 0
        assert (tmp_path / "queue-1").is_dir() and (tmp_path / "queue-notes").is_dir()
    finally:
        await own.close()


async def test_a_node_moved_to_jetstream_takes_every_embedded_queue_along(
    tmp_path: Path, open_jetstream: OpenJetStream
) -> None:
    await _worker_queue(tmp_path / "queue", sent=4, processed=1)
    await _worker_queue(tmp_path / "queue-1", sent=2, processed=0)
    shared = await open_jetstream()
    assert await adopt_leftover_queues(tmp_path, 0, shared, GROUP) == 10
    assert not (tmp_path / "queue").exists() and not (tmp_path / "queue-1").exists()
    consumer = await shared.subscribe("Main", GROUP)
    await asyncio.wait_for(shared.leases.settled(), 15)
    moved = messages(await drain(consumer, max_wait=1.0))
    by_device = {n: [seq_of(m) for m in moved if m.originator == device(n)] for n in (1, 2)}
    assert by_device == {1: [1, 2, 3, 0, 1], 2: [1, 2, 3, 0, 1]}  # each queue's in order
