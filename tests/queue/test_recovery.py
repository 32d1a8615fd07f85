"""Recovery at open: a torn tail is cut off, anything else that is damaged is reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from industryos.queue import CorruptLogError
from tests.queue.conftest import OpenQueue, device, drain, messages, seq_of, telemetry


def segment_files(queue_dir: Path, partition: int = 0) -> list[Path]:
    """The partition's segment files, oldest first."""
    return sorted((queue_dir / "topics" / "Main" / str(partition)).glob("*.log"))


async def fill(open_queue: OpenQueue, count: int, **config: object) -> None:
    """Append ``count`` messages one commit each to a one-partition topic, then close."""
    queue = await open_queue(topics={"Main": 1}, **config)
    for seq in range(count):
        await queue.append("Main", telemetry(device(1), seq))
    await queue.close()


async def read_seqs(open_queue: OpenQueue, group: str = "check", **config: object) -> list[int]:
    """Reopen and read every sequence number in the log."""
    queue = await open_queue(topics={"Main": 1}, **config)
    seqs = [seq_of(m) for m in messages(await drain(await queue.subscribe("Main", group)))]
    await queue.close()
    return seqs


async def test_truncated_last_record_is_cut_off(open_queue: OpenQueue, queue_dir: Path) -> None:
    await fill(open_queue, 50)
    [segment] = segment_files(queue_dir)
    os.truncate(segment, segment.stat().st_size - 5)

    queue = await open_queue(topics={"Main": 1})
    assert queue.recovered_bytes > 0
    await queue.append("Main", telemetry(device(1), 99))
    consumer = await queue.subscribe("Main", "check")
    batches = await drain(consumer)
    assert [r.offset for b in batches for r in b.records] == list(range(50))
    assert [seq_of(m) for m in messages(batches)] == [*range(49), 99]


@pytest.mark.parametrize("tail", [b"\x00" * 4096, os.urandom(300), b"\xff" * 15])
async def test_garbage_after_the_last_record_is_cut_off(
    open_queue: OpenQueue, queue_dir: Path, tail: bytes
) -> None:
    await fill(open_queue, 20)
    [segment] = segment_files(queue_dir)
    size = segment.stat().st_size
    with segment.open("ab") as f:
        f.write(tail)

    assert await read_seqs(open_queue) == list(range(20))
    assert segment.stat().st_size == size


async def test_corrupt_last_record_is_dropped(open_queue: OpenQueue, queue_dir: Path) -> None:
    await fill(open_queue, 10)
    [segment] = segment_files(queue_dir)
    data = bytearray(segment.read_bytes())
    data[-3] ^= 0x40
    segment.write_bytes(bytes(data))
    assert await read_seqs(open_queue) == list(range(9))


async def test_corruption_inside_a_sealed_segment_is_reported(
    open_queue: OpenQueue, queue_dir: Path
) -> None:
    await fill(open_queue, 40, segment_bytes=4096)
    first, *rest = segment_files(queue_dir)
    assert rest, "the log rolled"
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 0x01
    first.write_bytes(bytes(data))

    queue = await open_queue(topics={"Main": 1}, segment_bytes=4096)
    consumer = await queue.subscribe("Main", "check")
    with pytest.raises(CorruptLogError):
        await drain(consumer)


async def test_empty_segment_left_by_a_roll_is_reused(
    open_queue: OpenQueue, queue_dir: Path
) -> None:
    await fill(open_queue, 5)
    [segment] = segment_files(queue_dir)
    (segment.parent / f"{5:020d}.log").touch()  # a crash right after rolling
    queue = await open_queue(topics={"Main": 1})
    await queue.append("Main", telemetry(device(1), 5))
    await queue.close()
    assert await read_seqs(open_queue) == list(range(6))
    assert len(segment_files(queue_dir)) == 2
