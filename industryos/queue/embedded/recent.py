"""The newest durable records of one partition, kept as the messages they were made from.

A consumer that keeps up reads what was appended a few milliseconds ago. Reading it back
from the segment file costs a worker-thread hop, a ``pread`` and a decode of every message,
though the producer's :class:`~industryos.msg.Msg` objects are still in memory (messages
are immutable). :class:`RecentRecords` keeps them for the newest records of a partition,
with the byte position of each record in its segment, so a consumer whose cursor is in that
range gets the same records and the same cursor a file read would give, without the read.
Only durable records are added (after the group commit's fsync), and only up to a byte
budget: a consumer further behind reads the file as before.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from industryos.msg import Msg
from industryos.queue.embedded.framing import HEADER_SIZE
from industryos.queue.embedded.reader import Cursor
from industryos.queue.interface import Record


@dataclass(frozen=True, slots=True)
class Appended:
    """Where one write put its records: the first offset, the segment, its first byte and
    how many bytes the frames took."""

    first_offset: int
    path: Path
    start: int
    size: int


@dataclass(frozen=True, slots=True)
class _Chunk:
    first_offset: int
    path: Path
    ends: list[int]
    """Byte position after each record in the segment."""
    msgs: list[Msg]
    size: int
    """Bytes of log the records take (frames included)."""


class RecentRecords:
    """The newest records of one partition, up to ``budget`` bytes of log (0: none)."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._chunks: deque[_Chunk] = deque()
        self._bytes = 0

    def add(self, where: Appended, payloads: list[bytes], msgs: list[Msg]) -> None:
        """Keep the records of one durable write, dropping the oldest beyond the budget."""
        if where.size > self._budget:
            return
        ends = []
        pos = where.start
        for payload in payloads:
            pos += HEADER_SIZE + len(payload)
            ends.append(pos)
        if self._chunks:
            last = self._chunks[-1]
            if last.first_offset + len(last.msgs) != where.first_offset:
                self.clear()  # not the continuation of what is held: start over
        self._chunks.append(_Chunk(where.first_offset, where.path, ends, msgs, where.size))
        self._bytes += where.size
        while self._bytes > self._budget:
            self._bytes -= self._chunks.popleft().size

    def clear(self) -> None:
        """Forget every record held."""
        self._chunks.clear()
        self._bytes = 0

    def read(self, next_offset: int, max_records: int) -> tuple[list[Record], Cursor] | None:
        """Up to ``max_records`` records from ``next_offset`` and the cursor after them, or
        None when ``next_offset`` is not held (older, or not yet durable)."""
        chunks = self._chunks
        if not chunks or next_offset < chunks[0].first_offset:
            return None
        index = bisect_right(chunks, next_offset, key=_first_offset) - 1
        out: list[Record] = []
        cursor: Cursor | None = None
        while index < len(chunks) and len(out) < max_records:
            chunk = chunks[index]
            at = next_offset - chunk.first_offset
            if at >= len(chunk.msgs):
                break
            upto = min(len(chunk.msgs), at + max_records - len(out))
            first = chunk.first_offset
            out.extend(map(Record, range(first + at, first + upto), chunk.msgs[at:upto]))
            next_offset = first + upto
            cursor = Cursor(next_offset, chunk.path, chunk.ends[upto - 1])
            index += 1
        if cursor is None:
            return None
        return out, cursor


def _first_offset(chunk: _Chunk) -> int:
    return chunk.first_offset
