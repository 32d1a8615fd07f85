"""Consumer-group offsets: what each group has acknowledged, kept durable.

All groups' offsets live in one small JSON file, ``offsets.json``, replaced atomically
(write a temporary file, fsync it, rename it over the old one, fsync the directory), so a
crash leaves either the old or the new file, never a mix. Acks are group-committed like
appends: many acks in flight cost one file replacement. A replacement that fails (a full
disk) leaves the committed file as it was; acks are refused for a pause and then written
again, the failed ones included (an ack only moves forward).

An offset stored here is the *next* offset a group wants: everything before it is acked.
Segment retention follows each flush: the owner's ``retention`` callback picks the files
every group is durably past, and the flush thread deletes them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import orjson

from industryos.queue.embedded.group_commit import GroupCommit
from industryos.queue.embedded.segments import fsync_dir
from industryos.queue.interface import QueueError

log = logging.getLogger(__name__)

FILE_NAME = "offsets.json"
_VERSION = 1

Key = tuple[str, str]
"""(group, topic)"""
_Snapshot = dict[Key, list[int]]
_Work = tuple[bytes, _Snapshot]


class OffsetStore:
    """Every consumer group's next offset per partition, durable on :meth:`commit`."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._path = directory / FILE_NAME
        self._current: dict[Key, list[int]] = {}
        self._durable: dict[Key, list[int]] = {}
        self._commit: GroupCommit[_Work, _Snapshot] | None = None
        self._retention: Callable[[], list[Path]] = list
        self.flushes = 0
        self.fsyncs = 0

    def load(self) -> None:
        """Read the file (blocking; at open)."""
        if not self._path.exists():
            return
        try:
            doc = orjson.loads(self._path.read_bytes())
            groups = doc["groups"]
            loaded = {
                (group, topic): [int(o) for o in offsets]
                for group, topics in groups.items()
                for topic, offsets in topics.items()
            }
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise QueueError(f"unreadable consumer offsets in {self._path}: {exc}") from exc
        self._current = {key: list(offsets) for key, offsets in loaded.items()}
        self._durable = loaded

    def start(self, retention: Callable[[], list[Path]], retry_after_s: float = 1.0) -> None:
        """Start the group-commit runner (on the event loop)."""
        self._retention = retention
        self._commit = GroupCommit(
            "queue-offsets",
            self._take,
            self._flush,
            self._done,
            recover=self._discard_attempt,
            retry_after_s=retry_after_s,
        )

    def get(self, group: str, topic: str) -> list[int] | None:
        """The group's next offsets for ``topic``, None if the group never subscribed."""
        offsets = self._current.get((group, topic))
        return None if offsets is None else list(offsets)

    def groups(self) -> list[Key]:
        """Every known (group, topic)."""
        return list(self._current)

    def set(self, group: str, topic: str, offsets: list[int]) -> None:
        """Register or reset a group's offsets on ``topic`` (made durable by :meth:`commit`)."""
        self._current[(group, topic)] = list(offsets)

    def advance(self, group: str, topic: str, partition: int, next_offset: int) -> bool:
        """Move a group's offset forward (never back); True if it moved."""
        offsets = self._current[(group, topic)]
        if next_offset <= offsets[partition]:
            return False
        offsets[partition] = next_offset
        return True

    def floors(self, topic: str, partitions: int) -> list[int] | None:
        """Per partition, the lowest offset any group may still need; None with no group.

        Takes the lower of the durable offset (an ack not yet durable is replayed after a
        crash) and the current one (a registration or reset still being flushed).
        """
        floors: list[int] | None = None
        for key, current in self._current.items():
            if key[1] != topic or len(current) != partitions:
                continue
            durable = self._durable.get(key, current)
            if len(durable) == partitions:
                current = [min(a, b) for a, b in zip(current, durable, strict=True)]
            if floors is None:
                floors = list(current)
            else:
                floors = [min(a, b) for a, b in zip(floors, current, strict=True)]
        return floors

    @property
    def failures(self) -> int:
        """Commits whose file replacement failed (the acks wait for the next one)."""
        return 0 if self._commit is None else self._commit.failures

    async def commit(self) -> None:
        """Return once everything set or advanced so far is durable."""
        assert self._commit is not None, "OffsetStore.start() was not called"
        await self._commit.request()

    def _take(self) -> _Work:
        groups: dict[str, dict[str, list[int]]] = {}
        for (group, topic), offsets in self._current.items():
            groups.setdefault(group, {})[topic] = offsets
        data = orjson.dumps({"version": _VERSION, "groups": groups})
        return data, {key: list(offsets) for key, offsets in self._current.items()}

    def _flush(self, work: _Work) -> _Snapshot:
        data, snapshot = work
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self._path)
        fsync_dir(self._directory)
        return snapshot

    def _discard_attempt(self, _: _Work) -> None:
        """After a failed flush: the committed file was never touched (it is only ever
        replaced whole); drop the half-written replacement. The next commit writes the
        offsets again, these included."""
        self._path.with_suffix(".tmp").unlink(missing_ok=True)

    def _done(self, snapshot: _Snapshot) -> None:
        self._durable = snapshot
        self.flushes += 1
        self.fsyncs += 2
        doomed = self._retention()
        if doomed and self._commit is not None:
            # on the flush thread: after this flush, before the next one
            self._commit.executor.submit(_unlink_all, doomed)

    async def close(self) -> None:
        """Flush what is pending and stop."""
        if self._commit is not None:
            await self._commit.close()


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.error("queue: could not delete acked segment %s", path, exc_info=True)
