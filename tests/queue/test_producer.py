"""The append side: durability accounting, order per originator, limits and errors."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef
from industryos.queue import (
    Queue,
    QueueClosedError,
    QueueConfigError,
    QueueConsumer,
    QueueProducer,
    RecordTooLargeError,
    partition_for,
)
from tests.queue.conftest import OpenQueue, device, drain, messages, seq_of, telemetry


def test_partition_is_a_stable_hash_of_the_originator() -> None:
    originator = uuid.UUID("784f394c-42b6-435a-983c-b7beff2784f9")
    # pinned: every node and every queue implementation must agree on it forever
    assert [partition_for(originator, n) for n in (1, 4, 10, 12)] == [0, 0, 0, 4]
    spread = {partition_for(device(n).id, 8) for n in range(200)}
    assert spread == set(range(8))


async def test_embedded_queue_satisfies_the_protocols(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    assert isinstance(queue, Queue)
    assert isinstance(queue, QueueProducer)
    assert isinstance(await queue.subscribe("Main", "rules"), QueueConsumer)


async def test_append_returns_after_fsync(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    await queue.append("Main", telemetry(device(1), 0))
    stats = queue.stats()
    assert stats.appended == 1
    assert stats.commits == 1
    assert stats.fsyncs >= 1
    assert sum(p.end_offset for p in stats.partitions) == 1


async def test_concurrent_appends_share_fsyncs_and_keep_order(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    devices = [device(n) for n in range(20)]

    async def producer(originator: EntityRef) -> None:
        for seq in range(50):
            await queue.append("Main", telemetry(originator, seq))

    await asyncio.gather(*(producer(d) for d in devices))
    stats = queue.stats()
    assert stats.appended == 1000
    assert stats.commits < 1000 / 2, "group commit should batch concurrent appends"

    consumer = await queue.subscribe("Main", "rules")
    batches = await drain(consumer)
    seen: dict[uuid.UUID, list[int]] = defaultdict(list)
    for batch in batches:
        for record in batch.records:
            assert partition_for(record.msg.originator.id, 4) == batch.partition
            seen[record.msg.originator.id].append(seq_of(record.msg))
    assert {k: v for k, v in seen.items()} == {d.id: list(range(50)) for d in devices}


async def test_offsets_are_dense_and_ordered_per_partition(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    await queue.append_many("Main", [telemetry(device(n % 7), n) for n in range(300)])
    consumer = await queue.subscribe("Main", "rules")
    offsets: dict[int, list[int]] = defaultdict(list)
    for batch in await drain(consumer):
        offsets[batch.partition].extend(r.offset for r in batch.records)
    for partition, seen in offsets.items():
        assert seen == list(range(len(seen))), partition
    assert sum(len(v) for v in offsets.values()) == 300


async def test_append_many_is_one_commit(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    msgs = [telemetry(device(n), n) for n in range(100)]
    await queue.append_many("Main", msgs)
    assert queue.stats().commits == 1
    consumer = await queue.subscribe("Main", "rules")
    assert {m.id for m in messages(await drain(consumer))} == {m.id for m in msgs}


async def test_messages_round_trip_unchanged(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    msg = telemetry(device(3), 1).with_changes(
        metadata={"deviceName": "pump-7", "ts": "1700000000000"},
        originator=EntityRef(EntityType.ASSET, uuid.uuid4()),
    )
    await queue.append("Main", msg)
    consumer = await queue.subscribe("Main", "rules")
    assert messages(await drain(consumer)) == [msg]


async def test_unknown_topic_and_oversize_records_are_refused(open_queue: OpenQueue) -> None:
    queue = await open_queue(max_record_bytes=1024)
    with pytest.raises(QueueConfigError):
        await queue.append("Nope", telemetry(device(1), 0))
    with pytest.raises(RecordTooLargeError):
        await queue.append("Main", telemetry(device(1), 0, size=2000))
    with pytest.raises(RecordTooLargeError):
        await queue.append_many("Main", [telemetry(device(1), 0, size=2000)])
    assert queue.stats().appended == 0


async def test_closed_queue_refuses_appends(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    await queue.close()
    with pytest.raises(QueueClosedError):
        await queue.append("Main", telemetry(device(1), 0))


async def test_close_flushes_appends_in_flight(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    tasks = [asyncio.create_task(queue.append("Main", telemetry(device(n), n))) for n in range(50)]
    await asyncio.sleep(0)  # the appends are queued, their commit not yet done
    await queue.close()
    await asyncio.gather(*tasks)
    reopened = await open_queue()
    assert sum(p.end_offset for p in reopened.stats().partitions) == 50


async def test_partition_count_is_fixed_once_created(open_queue: OpenQueue) -> None:
    """A topic created with 4 partitions (an older node's default) opens with 4 under a
    configuration that says otherwise: each originator stays in its partition, so what it
    sent before and after the restart is read in order."""
    queue = await open_queue(topics={"Main": 4})
    for n in range(20):
        await queue.append("Main", telemetry(device(n % 5), n))
    await queue.close()
    reopened = await open_queue(topics={"Main": 1})
    assert reopened.partition_count("Main") == 4
    for n in range(20, 25):
        await reopened.append("Main", telemetry(device(n % 5), n))
    consumer = await reopened.subscribe("Main", "g")
    seen: dict[uuid.UUID, tuple[set[int], list[int]]] = {}
    for batch in await drain(consumer):
        for record in batch.records:
            partitions, seqs = seen.setdefault(record.msg.originator.id, (set(), []))
            partitions.add(batch.partition)
            seqs.append(seq_of(record.msg))
    assert sorted(seen) == [device(d).id for d in range(5)]
    for d in range(5):
        partitions, seqs = seen[device(d).id]
        assert partitions == {partition_for(device(d).id, 4)}
        assert seqs == list(range(d, 25, 5))


async def test_one_process_per_data_dir(open_queue: OpenQueue, queue_dir: Path) -> None:
    await open_queue()
    with pytest.raises(QueueConfigError, match="in use"):
        await open_queue()


async def test_pipelined_appends_of_one_originator_keep_call_order(open_queue: OpenQueue) -> None:
    queue = await open_queue(topics={"Main": 1})
    # a client with many publishes in flight: later calls start while earlier ones flush
    waves = []
    for wave in range(5):
        waves.append(
            [
                asyncio.create_task(queue.append("Main", telemetry(device(1), wave * 100 + n)))
                for n in range(100)
            ]
        )
        await asyncio.sleep(0.001)
    await asyncio.gather(*(t for wave in waves for t in wave))
    assert queue.stats().commits > 1
    consumer = await queue.subscribe("Main", "rules")
    assert [seq_of(m) for m in messages(await drain(consumer))] == list(range(500))
