"""Sequential reading of one partition's durable records, for one consumer.

A reader keeps a cursor (next offset, segment file, byte position), so steady consumption
is one ``pread`` per batch. It locates its segment by offset in the snapshot it is given
(``PartitionLog.segments``), so segments dropped or added since the last read need no
notification.

:meth:`PartitionReader.read` is blocking (consumers run it in a worker thread) and does not
move the cursor: it returns the records with the cursor after them, and the caller applies
that with :meth:`PartitionReader.advance` once the records are really handed out. A fetch
cancelled mid-read thus loses nothing.
"""

from __future__ import annotations

import logging
import os
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from industryos.queue.embedded.framing import HEADER_SIZE, Stop, decode_frames, frame_size
from industryos.queue.interface import CorruptLogError

if TYPE_CHECKING:  # segments.py imports this module (through recent.py) for Cursor
    from industryos.queue.embedded.segments import Segment

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Cursor:
    """Where a reader is: the next offset, and the file and byte that hold it (if known)."""

    next_offset: int
    path: Path | None = None
    pos: int = 0


class PartitionReader:
    """A cursor over one partition plus the open file it reads."""

    def __init__(
        self, name: str, next_offset: int, max_record_bytes: int, chunk_bytes: int = 1 << 20
    ) -> None:
        self.name = name
        self.cursor = Cursor(next_offset)
        self._max_record_bytes = max_record_bytes
        self._chunk_bytes = chunk_bytes
        self._fd = -1
        self._fd_path: Path | None = None

    @property
    def next_offset(self) -> int:
        """The next offset this reader will return."""
        return self.cursor.next_offset

    def advance(self, cursor: Cursor) -> None:
        """Accept the cursor a :meth:`read` returned."""
        self.cursor = cursor

    def read(
        self, segments: tuple[Segment, ...], max_records: int
    ) -> tuple[list[tuple[int, bytes]], Cursor]:
        """Up to ``max_records`` durable records from the cursor on, and the cursor after them."""
        c = Cursor(self.cursor.next_offset, self.cursor.path, self.cursor.pos)
        out: list[tuple[int, bytes]] = []
        while len(out) < max_records:
            index = self._locate(c, segments)
            segment = segments[index]
            if c.pos < segment.size:
                records, used = self._decode_at(c, segment, max_records - len(out))
                if records[0][0] != c.next_offset:
                    raise self._corrupt(c, f"expected offset {c.next_offset}")
                c.pos += used
                c.next_offset = records[-1][0] + 1
                out.extend(records)
            elif index == len(segments) - 1:
                break
            elif segments[index + 1].base_offset != c.next_offset:
                raise self._corrupt(c, "segment ends before the next one starts")
            else:
                c.path = None
        return out, c

    def _locate(self, c: Cursor, segments: tuple[Segment, ...]) -> int:
        """Index of the segment holding the cursor's offset, with the cursor placed in it."""
        index = bisect_right([s.base_offset for s in segments], c.next_offset) - 1
        if index < 0:
            log.warning(
                "queue %s: offset %d is no longer on disk, resuming at %d",
                self.name,
                c.next_offset,
                segments[0].base_offset,
            )
            c.next_offset = segments[0].base_offset
            index = 0
        segment = segments[index]
        if c.path != segment.path:
            c.path = segment.path
            c.pos = 0
            self._skip_to_next_offset(c, segment)
        return index

    def _skip_to_next_offset(self, c: Cursor, segment: Segment) -> None:
        while c.pos < segment.size:
            records, _ = self._decode_at(c, segment, None)
            for offset, payload in records:
                if offset >= c.next_offset:
                    return
                c.pos += HEADER_SIZE + len(payload)

    def _file(self, path: Path) -> int:
        if self._fd_path != path:
            self.close()
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            self._fd_path = path
        return self._fd

    def _decode_at(
        self, c: Cursor, segment: Segment, max_records: int | None
    ) -> tuple[list[tuple[int, bytes]], int]:
        """Records from the cursor's byte (at least one), and the bytes they span."""
        fd = self._file(segment.path)
        data = os.pread(fd, min(self._chunk_bytes, segment.size - c.pos), c.pos)
        records, used, stop = decode_frames(data, self._max_record_bytes, max_records)
        if not records and stop is Stop.PARTIAL:
            size = frame_size(data)  # one record bigger than a chunk
            if size is not None and c.pos + size <= segment.size:
                data = os.pread(fd, size, c.pos)
                records, used, stop = decode_frames(data, self._max_record_bytes, 1)
        if not records:
            raise self._corrupt(c, f"unreadable record ({stop.value})")
        return records, used

    def _corrupt(self, c: Cursor, what: str) -> CorruptLogError:
        return CorruptLogError(f"queue {self.name}: {what} at byte {c.pos} of {c.path}")

    def close(self) -> None:
        """Release the open segment file."""
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._fd_path = None
