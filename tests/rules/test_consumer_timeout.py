"""A message whose chain runs past the queue's time limit is TIMEOUT: skipped or retried."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import orjson

from industryos.msg import Msg
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.consumer import QueueRunner
from industryos.rules.runtime import ChainRun
from industryos.rules.strategy import ProcessingStrategy, QueueSettings, SubmitStrategy
from tests.rules.test_pipelining import _msg


class HangsOnce:
    """The first attempt of message 0 never ends; everything else ends at once."""

    def __init__(self) -> None:
        self.attempts: list[int] = []
        self.finished: list[int] = []

    async def __call__(self, msg: Msg) -> ChainRun:
        seq = orjson.loads(msg.data)["seq"]
        self.attempts.append(seq)
        if seq == 0 and self.attempts.count(0) == 1:
            await asyncio.Event().wait()
        self.finished.append(seq)
        return ChainRun()


async def _run(tmp_path: Path, settings: QueueSettings, chain: HangsOnce) -> QueueRunner:
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    device = uuid.uuid4()
    await queue.append_many("Main", [_msg(device, 0), _msg(device, 1)])
    runner = QueueRunner(queue, settings, "rules", chain)
    await runner.start()
    try:
        async with asyncio.timeout(5):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
    finally:
        await runner.stop()
        await queue.close()
    return runner


async def test_a_timed_out_message_is_skipped_and_its_lane_goes_on(tmp_path: Path) -> None:
    settings = QueueSettings(
        "Main",
        SubmitStrategy.BURST,
        ProcessingStrategy.SKIP_ALL_FAILURES_AND_TIMED_OUT,
        3,
        0.01,
        0.01,
        0.2,
    )
    chain = HangsOnce()
    runner = await _run(tmp_path, settings, chain)
    assert runner.stats.timed_out == 1
    assert runner.stats.successful == 1
    assert chain.finished == [1]


async def test_a_timed_out_message_is_retried_when_the_strategy_says_so(tmp_path: Path) -> None:
    settings = QueueSettings(
        "Main", SubmitStrategy.BURST, ProcessingStrategy.SKIP_ALL_FAILURES, 3, 0.01, 0.01, 0.2
    )  # the Main queue's strategy: failures are skipped, timeouts retried
    chain = HangsOnce()
    runner = await _run(tmp_path, settings, chain)
    assert runner.stats.timed_out == 0
    assert runner.stats.retried == 1
    assert runner.stats.successful == 2
    assert chain.finished == [0, 1]
