"""One partition's segment files: recovery, appending, syncing, rolling and dropping.

A partition is a directory of segment files named by the offset of their first record
(``00000000000000000042.log``). Only the last segment is written to; it is *sealed* when a
write finds it past ``segment_bytes`` and a new one is started. A crash can only tear the
tail of the last segment (every commit fsyncs before a segment is sealed), so recovery
decodes that one segment and truncates it after its last intact record.

Two sides touch a :class:`PartitionLog` and never at the same time:

* the writer thread (:meth:`write`, :meth:`sync`), which owns the open file and the
  *written* end;
* the event loop (:meth:`publish`, :meth:`drop_before`), which owns :attr:`segments` and
  :attr:`end_offset`, the *durable* view readers and consumers use. ``publish`` runs after
  the writer's flush returned, so readers never see bytes that are not yet fsync'd.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from pathlib import Path

from industryos.queue.embedded.framing import HEADER_SIZE, decode_frames, encode_frames
from industryos.queue.embedded.recent import Appended, RecentRecords

log = logging.getLogger(__name__)

SUFFIX = ".log"


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment file and how many of its bytes are durable."""

    base_offset: int
    path: Path
    size: int


def segment_path(directory: Path, base_offset: int) -> Path:
    """Where the segment starting at ``base_offset`` lives."""
    return directory / f"{base_offset:020d}{SUFFIX}"


def fsync_dir(directory: Path) -> None:
    """Make the directory's entries (created, renamed files) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_for_append(path: Path, create: bool) -> int:
    flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
    if create:
        flags |= os.O_CREAT | os.O_EXCL
    return os.open(path, flags, 0o644)


class PartitionLog:
    """The segment files of one partition of one topic."""

    def __init__(
        self,
        topic: str,
        partition: int,
        directory: Path,
        segment_bytes: int,
        max_record_bytes: int,
        recent_bytes: int = 0,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.max_record_bytes = max_record_bytes
        self.segments: tuple[Segment, ...] = ()
        self.end_offset = 0
        self.recent = RecentRecords(recent_bytes)
        """The newest durable records as messages (filled by the writer, event loop side)."""
        # writer-thread state
        self._fd = -1
        self._written_offset = 0
        self._written_size = 0
        self._written_path = Path()
        self._rolls: list[tuple[int, Segment]] = []
        self._dir_dirty = False
        self._file_dirty = False

    @property
    def start_offset(self) -> int:
        """The oldest offset still on disk."""
        return self.segments[0].base_offset

    def recover(self) -> int:
        """Open the directory's segments, truncating a torn tail; returns bytes cut off."""
        bases = sorted(int(p.name[: -len(SUFFIX)]) for p in self.directory.glob(f"*{SUFFIX}"))
        if not bases:
            bases = [0]
            _create_empty(segment_path(self.directory, 0))
            fsync_dir(self.directory)
        segments = [
            Segment(base, path := segment_path(self.directory, base), path.stat().st_size)
            for base in bases
        ]
        last = segments[-1]
        valid, end_offset = self._valid_prefix(last)
        cut = last.size - valid
        if cut:
            log.warning(
                "queue %s/%d: truncating %d torn bytes at the tail of %s",
                self.topic,
                self.partition,
                cut,
                last.path.name,
            )
            os.truncate(last.path, valid)
            fd = os.open(last.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        segments[-1] = replace(last, size=valid)
        self.segments = tuple(segments)
        self.end_offset = self._written_offset = end_offset
        self._written_size = valid
        self._written_path = last.path
        self._fd = _open_for_append(last.path, create=False)
        return cut

    def _valid_prefix(self, segment: Segment) -> tuple[int, int]:
        """Bytes of intact, consecutive records at the start of ``segment``, and the next offset."""
        data = segment.path.read_bytes()
        records, valid, _ = decode_frames(data, self.max_record_bytes)
        expected = segment.base_offset
        for index, (offset, _payload) in enumerate(records):
            if offset != expected:
                # intact frame but out of sequence: cannot be ours, cut here
                valid = sum(HEADER_SIZE + len(p) for _, p in records[:index])
                break
            expected += 1
        return valid, expected

    # -- writer thread -------------------------------------------------------------------

    def write(self, payloads: list[bytes]) -> Appended:
        """Append ``payloads`` as the next records (not yet durable); returns where."""
        if self._written_size >= self.segment_bytes:
            self._roll()
        data = encode_frames(self._written_offset, payloads)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        where = Appended(self._written_offset, self._written_path, self._written_size, len(data))
        self._written_offset += len(payloads)
        self._written_size += len(data)
        self._file_dirty = True
        return where

    def _roll(self) -> None:
        path = segment_path(self.directory, self._written_offset)
        fd = _open_for_append(path, create=True)
        os.close(self._fd)
        self._fd = fd
        self._rolls.append((self._written_size, Segment(self._written_offset, path, 0)))
        self._written_size = 0
        self._written_path = path
        self._dir_dirty = True

    def sync(self) -> int:
        """Make everything written durable; returns how many fsyncs it took."""
        fsyncs = 0
        if self._file_dirty:
            os.fdatasync(self._fd)
            self._file_dirty = False
            fsyncs += 1
        if self._dir_dirty:
            fsync_dir(self.directory)
            self._dir_dirty = False
            fsyncs += 1
        return fsyncs

    def rewind(self) -> None:
        """Back to what the last :meth:`publish` exposed (a flush failed): segments rolled
        since are deleted and the last one is cut to its durable size, so bytes a failed
        write or fsync left behind, torn or whole, are never read or appended after."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        for _, rolled in self._rolls:
            rolled.path.unlink(missing_ok=True)
        self._rolls.clear()
        last = self.segments[-1]
        os.truncate(last.path, last.size)
        fd = os.open(last.path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self.directory)
        self._written_offset = self.end_offset
        self._written_size = last.size
        self._written_path = last.path
        self._file_dirty = self._dir_dirty = False
        self._fd = _open_for_append(last.path, create=False)

    def close_file(self) -> None:
        """Close the segment being written (the log is synced by then)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    # -- event loop ----------------------------------------------------------------------

    def publish(self) -> None:
        """Expose what the last flush made durable to readers."""
        segments = list(self.segments)
        for sealed_size, new in self._rolls:
            segments[-1] = replace(segments[-1], size=sealed_size)
            segments.append(new)
        self._rolls.clear()
        segments[-1] = replace(segments[-1], size=self._written_size)
        self.segments = tuple(segments)
        self.end_offset = self._written_offset

    def drop_before(self, offset: int) -> list[Path]:
        """Forget sealed segments whose records all precede ``offset``; returns their files."""
        keep = 0
        segments = self.segments
        while keep + 1 < len(segments) and segments[keep + 1].base_offset <= offset:
            keep += 1
        if not keep:
            return []
        self.segments = segments[keep:]
        return [segment.path for segment in segments[:keep]]


def _create_empty(path: Path) -> None:
    os.close(_open_for_append(path, create=True))
