"""Fail-stop after a failed write, cancellation of one waiter, unreadable offsets."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

import industryos.queue as queue_pkg
import industryos.queue.embedded as embedded_pkg
from industryos.queue import QueueError, QueueWriteError
from tests.queue.conftest import OpenQueue, device, drain, messages, telemetry


async def test_a_failed_write_fails_its_appends_and_every_later_one(
    open_queue: OpenQueue, queue_dir: Path
) -> None:
    queue = await open_queue(topics={"Main": 1})
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
    with pytest.raises(QueueWriteError):
        await queue.append("Main", telemetry(device(1), 9))
    await queue.close()

    reopened = await open_queue(topics={"Main": 1})
    assert len(messages(await drain(await reopened.subscribe("Main", "check")))) == 1


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
