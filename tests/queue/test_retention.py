"""Segment rolling and deletion once every consumer group has acked past a segment."""

from __future__ import annotations

from pathlib import Path

from tests.queue.conftest import OpenQueue, device, drain, messages, seq_of, telemetry

SMALL = {"topics": {"Main": 1}, "segment_bytes": 4096}


def segment_count(queue_dir: Path) -> int:
    """How many segment files partition 0 has on disk."""
    return len(list((queue_dir / "topics" / "Main" / "0").glob("*.log")))


async def test_segments_roll_and_are_deleted_when_every_group_acked(
    open_queue: OpenQueue, queue_dir: Path
) -> None:
    queue = await open_queue(**SMALL)
    rules = await queue.subscribe("Main", "rules")
    archive = await queue.subscribe("Main", "archive")
    for seq in range(100):
        await queue.append("Main", telemetry(device(1), seq))
    rolled = segment_count(queue_dir)
    assert rolled > 3
    assert queue.stats().partitions[0].segments == rolled

    await drain(rules, ack=True)
    assert segment_count(queue_dir) == rolled, "archive has not acked anything yet"

    batches = await drain(archive)
    middle = batches[0].records[60]
    await archive.ack(0, middle.offset)
    await queue.close()  # waits for the deletions
    remaining = segment_count(queue_dir)
    assert 1 < remaining < rolled

    reopened = await open_queue(**SMALL)
    start = reopened.stats().partitions[0].start_offset
    assert 0 < start <= middle.offset + 1
    replay = messages(await drain(await reopened.subscribe("Main", "archive")))
    assert [seq_of(m) for m in replay] == list(range(middle.offset + 1, 100))
    assert messages(await drain(await reopened.subscribe("Main", "rules"))) == []


async def test_active_segment_is_never_deleted(open_queue: OpenQueue, queue_dir: Path) -> None:
    queue = await open_queue(**SMALL)
    rules = await queue.subscribe("Main", "rules")
    for seq in range(60):
        await queue.append("Main", telemetry(device(1), seq))
    await drain(rules, ack=True)
    await queue.close()
    assert segment_count(queue_dir) == 1

    reopened = await open_queue(**SMALL)
    await reopened.append("Main", telemetry(device(1), 60))
    batches = await drain(await reopened.subscribe("Main", "rules"))
    assert [r.offset for b in batches for r in b.records] == [60]
