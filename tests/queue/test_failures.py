"""Failed writes (appends and offsets), cancellation of one waiter, unreadable offsets."""

from __future__ import annotations

import asyncio
import errno
import os
from pathlib import Path

import pytest

import industryos.queue as queue_pkg
import industryos.queue.embedded as embedded_pkg
from industryos.queue import QueueError, QueueWriteError
from tests.queue.conftest import OpenQueue, device, drain, messages, seq_of, telemetry


async def test_a_failed_write_fails_its_appends_and_appends_resume_after_a_pause(
    open_queue: OpenQueue, queue_dir: Path
) -> None:
    """A disk that refuses writes fails the appends of that flush and, for a pause, every
    later one; then the writer tries again on a freshly opened segment file (it used to
    refuse appends until the node was restarted, however soon the disk recovered)."""
    queue = await open_queue(topics={"Main": 1}, write_retry_s=0.3)
    await queue.append("Main", telemetry(device(1), 0))
    # the disk "goes read-only": the open segment now refuses writes (EBADF)
    [segment] = sorted((queue_dir / "topics" / "Main" / "0").glob("*.log"))
    read_only = os.open(segment, os.O_RDONLY)
    try:
        for fd in _fds_of(segment):
            os.dup2(read_only, fd)
    finally:
        os.close(read_only)
    results = await asyncio.gather(
        *(queue.append("Main", telemetry(device(1), n)) for n in range(1, 5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, QueueWriteError) for r in results), results
    with pytest.raises(QueueWriteError, match="retrying in"):
        await queue.append("Main", telemetry(device(1), 9))
    await asyncio.sleep(0.4)
    await queue.append("Main", telemetry(device(1), 10))  # taken again
    consumer = await queue.subscribe("Main", "check")
    assert [seq_of(m) for m in messages(await drain(consumer))] == [0, 10]
    await queue.close()

    reopened = await open_queue(topics={"Main": 1})
    stored = messages(await drain(await reopened.subscribe("Main", "check")))
    assert [seq_of(m) for m in stored] == [0, 10]


async def test_what_a_failed_flush_wrote_is_cut_off_torn_or_whole(
    open_queue: OpenQueue, queue_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: the write gets half its bytes out, then ENOSPC; or every byte is out
    and the fsync fails. Either way none of it is acknowledged, read, or written after."""
    queue = await open_queue(topics={"Main": 1}, write_retry_s=0.05)
    await queue.append("Main", telemetry(device(1), 0))
    [segment] = sorted((queue_dir / "topics" / "Main" / "0").glob("*.log"))
    durable = segment.stat().st_size
    real_write, real_sync = os.write, os.fdatasync

    def half_then_full(fd: int, data: bytes | memoryview) -> int:
        if len(data) > 16:
            return real_write(fd, bytes(data)[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("industryos.queue.embedded.segments.os.write", half_then_full)
    with pytest.raises(QueueWriteError, match="No space left"):
        await queue.append("Main", telemetry(device(1), 1))
    assert segment.stat().st_size == durable  # the torn half is gone
    monkeypatch.setattr("industryos.queue.embedded.segments.os.write", real_write)

    def failing_sync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("industryos.queue.embedded.segments.os.fdatasync", failing_sync)
    await asyncio.sleep(0.1)  # the pause after the first failure
    with pytest.raises(QueueWriteError, match="Input/output error"):
        await queue.append("Main", telemetry(device(1), 2))
    assert segment.stat().st_size == durable  # written whole, never synced: cut off too
    monkeypatch.setattr("industryos.queue.embedded.segments.os.fdatasync", real_sync)

    await asyncio.sleep(0.25)  # the pause doubled
    await queue.append("Main", telemetry(device(1), 3))
    consumer = await queue.subscribe("Main", "check")
    assert [seq_of(m) for m in messages(await drain(consumer))] == [0, 3]
    await queue.close()
    reopened = await open_queue(topics={"Main": 1})
    assert reopened.recovered_bytes == 0  # nothing torn was left for the recovery at open
    stored = messages(await drain(await reopened.subscribe("Main", "check")))
    assert [seq_of(m) for m in stored] == [0, 3]


async def test_a_failed_offsets_write_keeps_the_acks_for_the_next_one(
    open_queue: OpenQueue, queue_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = await open_queue(topics={"Main": 1}, write_retry_s=0.05)
    for n in range(3):
        await queue.append("Main", telemetry(device(1), n))
    consumer = await queue.subscribe("Main", "rules")
    [batch] = await consumer.fetch(10, max_wait=1.0)
    real_fsync = os.fsync

    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("industryos.queue.embedded.offsets.os.fsync", full_disk)
    with pytest.raises(QueueWriteError):
        await consumer.ack(0, batch.records[1].offset)
    assert _leftovers(queue_dir) == []  # the half-written replacement is gone
    monkeypatch.setattr("industryos.queue.embedded.offsets.os.fsync", real_fsync)
    await asyncio.sleep(0.1)
    await consumer.ack(0, batch.records[0].offset)  # an older ack: the failed one still counts
    await queue.close()
    reopened = await open_queue(topics={"Main": 1})
    left = messages(await drain(await reopened.subscribe("Main", "rules")))
    assert [seq_of(m) for m in left] == [2]


def _leftovers(directory: Path) -> list[Path]:
    return list(directory.glob("*.tmp"))


def _fds_of(path: Path) -> list[int]:
    """This process's descriptors open on ``path`` for writing."""
    found = []
    for entry in os.scandir("/proc/self/fd"):
        try:
            target = os.readlink(entry.path)
            flags = int(Path(f"/proc/self/fdinfo/{entry.name}").read_text().split()[3], 8)
        except OSError:
            continue
        if target == str(path) and flags & os.O_WRONLY:
            found.append(int(entry.name))
    assert found, "the writer keeps the segment open"
    return found


async def test_cancelling_one_append_leaves_the_others_alone(open_queue: OpenQueue) -> None:
    queue = await open_queue()
    tasks = [asyncio.create_task(queue.append("Main", telemetry(device(n), n))) for n in range(20)]
    await asyncio.sleep(0)
    tasks[3].cancel()
    done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[3], asyncio.CancelledError)
    assert all(r is None for i, r in enumerate(done) if i != 3)
    # the cancelled caller got no ack; the message itself may or may not be stored
    stored = len(messages(await drain(await queue.subscribe("Main", "check"))))
    assert stored in (19, 20)


async def test_unreadable_offsets_file_is_an_error(open_queue: OpenQueue, queue_dir: Path) -> None:
    queue = await open_queue()
    await queue.subscribe("Main", "rules")
    await queue.close()
    (queue_dir / "offsets.json").write_text("{not json")
    with pytest.raises(QueueError, match="offsets"):
        await open_queue()


def test_exported_members() -> None:
    for package in (queue_pkg, embedded_pkg):
        exported = {name for name in dir(package) if not name.startswith("_")}
        assert set(package.__all__) <= exported
        public = {
            name
            for name in exported
            if getattr(getattr(package, name), "__module__", "").startswith(package.__name__)
        }
        assert public == set(package.__all__), package.__name__
