"""Acks the queue cannot write (a full disk) wait for the next write; the runner goes on."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from pathlib import Path

import pytest

from industryos.msg import Msg
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.consumer import QueueRunner
from industryos.rules.runtime import ChainRun
from tests.rules.test_consumer_window import SETTINGS, _one_per_device


async def test_acks_that_cannot_be_written_are_written_by_a_later_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "industryos.rules.consumer")
    config = EmbeddedQueueConfig(data_dir=tmp_path / "queue", write_retry_s=0.05)
    queue = await EmbeddedQueue.open(config)
    real_fsync = os.fsync
    disk_full = False

    def fsync(fd: int) -> None:
        if disk_full:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("industryos.queue.embedded.offsets.os.fsync", fsync)
    processed: list[Msg] = []

    async def chain(msg: Msg) -> ChainRun:
        processed.append(msg)
        return ChainRun()

    runner = QueueRunner(queue, SETTINGS, "rules", chain)
    await runner.start()
    try:
        await queue.append_many("Main", _one_per_device(10))
        disk_full = True
        async with asyncio.timeout(5):
            while len(processed) < 10:  # noqa: ASYNC110 - no event to wait on
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # several ack intervals, every one failing
        assert not _logged(caplog, "acks written again")
        disk_full = False
        async with asyncio.timeout(5):
            while not _logged(caplog, "acks written again"):  # noqa: ASYNC110 - a log line
                await asyncio.sleep(0.01)
    finally:
        disk_full = False
        await runner.stop()
        await queue.close()
    warned = _logged(caplog, "acks not written")
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING  # once per outage
    reopened = await EmbeddedQueue.open(config)
    try:
        again = await reopened.subscribe("Main", "rules")
        assert await again.fetch(100, max_wait=0.2) == []  # nothing is replayed
    finally:
        await reopened.close()


def _logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if text in record.getMessage()]
