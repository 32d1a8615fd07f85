"""The newest durable records kept as messages give what reading the log file gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from industryos.msg import Msg
from industryos.queue.embedded.reader import Cursor, PartitionReader
from industryos.queue.embedded.recent import Appended, RecentRecords
from industryos.queue.embedded.segments import Segment
from tests.queue.conftest import OpenQueue, device, drain, messages, telemetry


def _file_read(segments: tuple[Segment, ...], offset: int, n: int) -> tuple[list[Msg], Cursor]:
    """What a consumer reading the segment files gets from ``offset`` on."""
    reader = PartitionReader("Main/0", offset, 1 << 20)
    try:
        records, cursor = reader.read(segments, n)
    finally:
        reader.close()
    return [Msg.from_bytes(raw) for _, raw in records], cursor


_SET_HERE = pytest.mark.parametrize("open_queue", [None], indirect=True, ids=["set-here"])
"""These tests choose ``recent_bytes`` themselves: run them once, not once per default."""


@_SET_HERE
async def test_records_and_cursors_match_the_file_across_segment_rolls(
    open_queue: OpenQueue,
) -> None:
    queue = await open_queue(topics={"Main": 1}, segment_bytes=4096, recent_bytes=1 << 20)
    for start in range(0, 120, 7):  # writes of 7 records: several per segment, rolls between
        await queue.append_many("Main", [telemetry(device(1), n) for n in range(start, start + 7)])
    log = queue._logs["Main"][0]
    assert len(log.segments) > 3
    for offset in range(0, 126, 5):
        for n in (1, 6, 40):
            held = log.recent.read(offset, n)
            assert held is not None
            records, cursor = held
            from_file, file_cursor = _file_read(log.segments, offset, n)
            assert [r.offset for r in records] == list(range(offset, min(offset + n, 126)))
            assert [r.msg for r in records] == from_file
            # the reader continues from this cursor exactly as from its own
            assert (cursor.next_offset, cursor.pos) == (file_cursor.next_offset, file_cursor.pos)
            assert cursor.path == file_cursor.path
    assert log.recent.read(126, 10) is None  # not appended yet


@_SET_HERE
async def test_a_consumer_behind_the_budget_reads_the_file_then_memory(
    open_queue: OpenQueue,
) -> None:
    queue = await open_queue(topics={"Main": 1}, recent_bytes=4096)
    consumer = await queue.subscribe("Main", "rules")
    sent = []
    for start in range(0, 300, 10):
        batch = [telemetry(device(2), n) for n in range(start, start + 10)]
        await queue.append_many("Main", batch)
        sent.extend(batch)
    log = queue._logs["Main"][0]
    assert log.recent.read(0, 1) is None  # the oldest were dropped from memory
    assert log.recent.read(299, 1) is not None
    got = messages(await drain(consumer, ack=True))
    assert [m.id for m in got] == [m.id for m in sent]
    assert got == sent


def test_budget_and_continuity() -> None:
    recent = RecentRecords(budget=120)
    msgs = [telemetry(device(3), n) for n in range(4)]
    path = Path("segment.log")
    recent.add(Appended(0, path, 0, 2 * (16 + 20)), [b"x" * 20] * 2, msgs[:2])
    recent.add(Appended(2, path, 72, 16 + 20), [b"x" * 20], msgs[2:3])
    held = recent.read(0, 10)
    assert held is not None
    assert [r.offset for r in held[0]] == [0, 1, 2]
    assert held[1] == Cursor(3, path, 108)
    # over the budget: the oldest write goes
    recent.add(Appended(3, path, 108, 16 + 20), [b"x" * 20], msgs[3:])
    assert recent.read(1, 1) is None
    held = recent.read(2, 10)
    assert held is not None and [r.offset for r in held[0]] == [2, 3]
    # a write bigger than the whole budget is not kept; a gap starts over
    recent.add(Appended(4, path, 144, 200), [b"y" * 184], msgs[:1])
    assert recent.read(4, 1) is None
    recent.add(Appended(9, path, 500, 36), [b"x" * 20], msgs[:1])
    assert recent.read(3, 1) is None
    held = recent.read(9, 1)
    assert held is not None and held[1] == Cursor(10, path, 536)
    # nothing kept at all with a zero budget
    off = RecentRecords(budget=0)
    off.add(Appended(0, path, 0, 36), [b"x" * 20], msgs[:1])
    assert off.read(0, 1) is None
