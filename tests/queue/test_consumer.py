"""The consumer side: batches in order, acks, at-least-once replay, offsets across restarts."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from industryos.queue import QueueClosedError, QueueConfigError, QueueError
from tests.queue.conftest import OpenQueue, device, drain, messages, telemetry


async def test_unacked_messages_are_replayed_after_reopen(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    sent = [telemetry(device(n % 5), n) for n in range(100)]
    await queue.append_many("Main", sent)
    consumer = await queue.subscribe("Main", "rules")
    batches = await drain(consumer)
    assert sorted(m.id for m in messages(batches)) == sorted(m.id for m in sent)
    # ack only the first half of each partition's batch
    acked: set[uuid.UUID] = set()
    for batch in batches:
        half = batch.records[: len(batch.records) // 2]
        if half:
            await consumer.ack(batch.partition, half[-1].offset)
            acked.update(r.msg.id for r in half)
    await queue.close()

    reopened = await open_queue()
    replay = messages(await drain(await reopened.subscribe("Main", "rules")))
    assert {m.id for m in replay} == {m.id for m in sent} - acked
    assert len(replay) == len(sent) - len(acked)


async def test_offsets_survive_restart_and_groups_are_independent(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    await queue.append_many("Main", [telemetry(device(n), n) for n in range(40)])
    rules = await queue.subscribe("Main", "rules")
    await drain(rules, ack=True)
    await queue.close()

    reopened = await open_queue()
    assert await (await reopened.subscribe("Main", "rules")).fetch(max_wait=0.05) == []
    assert len(messages(await drain(await reopened.subscribe("Main", "archive")))) == 40
    lags = {(lag.group, lag.partition): lag.lag for lag in reopened.stats().lags}
    assert all(lag == 0 for (group, _), lag in lags.items() if group == "rules")
    assert sum(lag for (group, _), lag in lags.items() if group == "archive") == 40


async def test_fetch_continues_past_unacked_and_wakes_on_append(open_queue: OpenQueue) -> None:
    queue = await open_queue(topics={"Main": 1})
    consumer = await queue.subscribe("Main", "rules")
    waiting = asyncio.create_task(consumer.fetch(max_wait=5))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await queue.append("Main", telemetry(device(1), 0))
    first = await waiting
    await queue.append("Main", telemetry(device(1), 1))
    second = await consumer.fetch(max_wait=1)
    assert [r.offset for r in first[0].records] == [0]
    assert [r.offset for r in second[0].records] == [1]


async def test_max_unacked_holds_delivery_until_ack(open_queue: OpenQueue) -> None:
    queue = await open_queue(topics={"Main": 1}, max_unacked=10)
    await queue.append_many("Main", [telemetry(device(1), n) for n in range(25)])
    consumer = await queue.subscribe("Main", "rules")
    first = await consumer.fetch(100, max_wait=0.1)
    assert len(first[0].records) == 10
    assert await consumer.fetch(100, max_wait=0.05) == []
    await consumer.ack(0, first[0].records[3].offset)
    second = await consumer.fetch(100, max_wait=0.1)
    assert [r.offset for r in second[0].records] == list(range(10, 14))


async def test_fetch_splits_max_records_over_ready_partitions(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    await queue.append_many("Main", [telemetry(device(n % 40), n) for n in range(400)])
    consumer = await queue.subscribe("Main", "rules")
    batches = await consumer.fetch(40, max_wait=0.1)
    assert len(batches) == 4
    assert all(len(b.records) == 10 for b in batches)


async def test_ack_rules(open_queue: OpenQueue) -> None:
    queue = await open_queue(topics={"Main": 2})
    originator = next(device(n) for n in range(50) if queue.partition_count("Main") and n > 0)
    await queue.append("Main", telemetry(originator, 0))
    consumer = await queue.subscribe("Main", "rules")
    [batch] = await consumer.fetch(max_wait=1)
    with pytest.raises(QueueError, match="not delivered"):
        await consumer.ack(batch.partition, batch.last_offset + 1)
    with pytest.raises(QueueConfigError):
        await consumer.ack(7, 0)
    await consumer.ack(batch.partition, batch.last_offset)
    await consumer.ack(batch.partition, batch.last_offset)  # repeated ack is harmless
    await consumer.close()
    with pytest.raises(QueueClosedError):
        await consumer.ack(batch.partition, batch.last_offset)


async def test_a_group_shares_no_partition_between_live_consumers(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    first = await queue.subscribe("Main", "rules", partitions=[0, 1])
    with pytest.raises(QueueConfigError):
        await queue.subscribe("Main", "rules", partitions=[1, 2])
    second = await queue.subscribe("Main", "rules", partitions=[2, 3])
    assert (first.partitions, second.partitions) == ([0, 1], [2, 3])
    await first.close()
    assert (await queue.subscribe("Main", "rules", partitions=[1])).partitions == [1]
    with pytest.raises(QueueConfigError):
        await queue.subscribe("Main", "rules", partitions=[9])


async def test_close_wakes_a_waiting_fetch(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    consumer = await queue.subscribe("Main", "rules")
    waiting = asyncio.create_task(consumer.fetch(max_wait=10))
    await asyncio.sleep(0.01)
    await queue.close()
    with pytest.raises(QueueClosedError):
        await waiting


async def test_a_cancelled_fetch_loses_nothing(open_queue: OpenQueue) -> None:
    # records read from memory are handed out without a pause to cancel in: read the file
    queue = await open_queue(topics={"Main": 1}, recent_bytes=0)
    await queue.append_many("Main", [telemetry(device(1), n) for n in range(2000)])
    consumer = await queue.subscribe("Main", "rules")
    for _ in range(5):
        task = asyncio.create_task(consumer.fetch(100, max_wait=1))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    batches = await drain(consumer)
    assert [r.offset for b in batches for r in b.records] == list(range(2000))


async def test_consumer_of_new_group_starts_at_oldest_record(open_queue: OpenQueue) -> None:
    queue = await open_queue(topics={"Main": 1}, segment_bytes=4096)
    keep = await queue.subscribe("Main", "keep")
    for n in range(40):
        await queue.append("Main", telemetry(device(1), n, size=200))
    rules = await queue.subscribe("Main", "rules")
    await drain(rules, ack=True)
    await drain(keep, ack=True)
    start = queue.stats().partitions[0].start_offset
    assert start > 0, "acked segments were deleted"
    late = messages(await drain(await queue.subscribe("Main", "late")))
    assert len(late) == 40 - start


async def test_offsets_beyond_a_lost_log_are_reset(open_queue: OpenQueue, queue_dir: Path) -> None:
    queue = await open_queue(topics={"Main": 1})
    await queue.append_many("Main", [telemetry(device(1), n) for n in range(10)])
    await drain(await queue.subscribe("Main", "rules"), ack=True)
    await queue.close()
    shutil.rmtree(queue_dir / "topics" / "Main" / "0")  # an operator deleted the data
    (queue_dir / "topics" / "Main" / "0").mkdir()

    reopened = await open_queue(topics={"Main": 1})
    await reopened.append_many("Main", [telemetry(device(1), n) for n in range(3)])
    rules = await reopened.subscribe("Main", "rules")
    assert len(messages(await drain(rules, ack=True))) == 3
    assert [lag.lag for lag in reopened.stats().lags if lag.group == "rules"] == [0]


@pytest.mark.parametrize("turns", range(6))
async def test_a_fetch_cancelled_as_its_wakeup_fires_ends_cancelled(
    open_queue: OpenQueue, turns: int
) -> None:
    """Stop cancels a waiting fetch; a wakeup in the same instant must not swallow the cancel.

    (Python 3.11's ``asyncio.wait_for`` returns the inner result instead of raising when both
    happen at once: the rule engine's fetch loop then kept waiting and its stop never ended.)
    """
    queue = await open_queue(topics={"Main": 1})
    consumer = await queue.subscribe("Main", "rules")
    waiting = asyncio.create_task(consumer.fetch(max_wait=5))
    await asyncio.sleep(0.01)
    consumer.notify()  # nothing new to read: the fetch would go back to waiting
    for _ in range(turns):  # land the cancel at each step of the wakeup's way to the task
        await asyncio.sleep(0)
    waiting.cancel()
    done, _ = await asyncio.wait([waiting], timeout=2)
    try:
        assert waiting in done, "the cancelled fetch kept waiting"
        assert waiting.cancelled()
    finally:
        await consumer.close()  # a fetch that swallowed the cancel ends with QueueClosedError
        await asyncio.wait([waiting])
        if not waiting.cancelled():
            waiting.exception()
