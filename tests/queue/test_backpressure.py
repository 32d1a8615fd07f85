"""Device uplinks wait while the rule engine is behind, and go on once it caught up.

The gate wraps a real embedded queue; its lag comes from a real rule-engine queue runner
whose chain holds messages until the test releases them (the engine falling behind).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from industryos.msg import Msg
from industryos.queue.backpressure import LagGate
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.consumer import QueueRunner
from industryos.rules.runtime import ChainRun
from industryos.rules.strategy import ProcessingStrategy, QueueSettings, SubmitStrategy
from tests.queue.conftest import device, telemetry

SETTINGS = QueueSettings(
    "Main", SubmitStrategy.BURST, ProcessingStrategy.SKIP_ALL_FAILURES, 3, 0.05, 0.1, 10.0
)


class HeldChain:
    """A chain that keeps every message until ``release`` is set."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.done: list[Msg] = []

    async def __call__(self, msg: Msg) -> ChainRun:
        await self.release.wait()
        self.done.append(msg)
        return ChainRun()


async def _settle(predicate: object, limit_s: float = 5.0) -> None:
    async with asyncio.timeout(limit_s):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.01)


async def test_uplinks_wait_while_the_engine_is_behind_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    chain = HeldChain()
    runner = QueueRunner(queue, SETTINGS, "rules", chain)
    await runner.start()
    gate = LagGate(queue, runner.lag, high_water=3, low_water=1, check_interval_s=0)
    try:
        for n in range(4):  # the engine holds them all: lag 4 > 3
            await gate.append("Main", telemetry(device(n), n))
        await _settle(lambda: runner.lag() == 4)
        waiting = asyncio.create_task(gate.append("Main", telemetry(device(9), 9)))
        await asyncio.sleep(0.2)
        assert not waiting.done(), "an uplink went through while the engine was behind"
        assert not gate.is_open and gate.closings == 1
        assert gate.to_wire() == {
            "ingestGateOpen": False,
            "ingestGateClosings": 1,
            "ingestWaiting": 1,
        }
        chain.release.set()  # the engine catches up
        async with asyncio.timeout(5):
            await waiting
        await _settle(lambda: len(chain.done) == 5 and runner.lag() == 0)
        assert sorted(m.id for m in chain.done) == sorted({m.id for m in chain.done})
        assert gate.is_open
    finally:
        chain.release.set()
        await gate.close()
        await runner.stop()
        await queue.close()


async def test_the_gate_opens_only_below_low_water(tmp_path: Path) -> None:
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    lag = [10]
    gate = LagGate(queue, lambda: lag[0], high_water=5, low_water=2, check_interval_s=0)
    try:
        waiting = asyncio.create_task(gate.append_many("Main", [telemetry(device(1), 1)]))
        await asyncio.sleep(0.05)
        lag[0] = 4  # under high water, still above low water: keeps waiting
        await asyncio.sleep(0.1)
        assert not waiting.done()
        lag[0] = 2
        async with asyncio.timeout(2):
            await waiting
        assert gate.is_open
        lag[0] = 5  # at high water (not above): no wait
        async with asyncio.timeout(2):
            await gate.append("Main", telemetry(device(2), 2))
        assert gate.closings == 1
    finally:
        await gate.close()
        await queue.close()


async def test_closing_the_gate_lets_waiting_uplinks_through(tmp_path: Path) -> None:
    """At node stop the engine may never catch up: waiting devices must not hang the stop."""
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    gate = LagGate(queue, lambda: 100, high_water=5, check_interval_s=0)
    try:
        waiting = asyncio.create_task(gate.append("Main", telemetry(device(1), 1)))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        await gate.close()
        async with asyncio.timeout(2):
            await waiting
        consumer = await queue.subscribe("Main", "check")
        fetched = await consumer.fetch(max_wait=1)
        assert sum(len(batch.records) for batch in fetched) == 1
    finally:
        await gate.close()
        await queue.close()


def test_water_marks_are_checked() -> None:
    with pytest.raises(ValueError, match="high_water"):
        LagGate(None, lambda: 0, high_water=0, check_interval_s=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="low_water"):
        LagGate(None, lambda: 0, high_water=5, low_water=6, check_interval_s=0)  # type: ignore[arg-type]


async def test_an_open_gate_reads_the_lag_at_most_once_per_check_interval(tmp_path: Path) -> None:
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    reads = 0

    def lag() -> int:
        nonlocal reads
        reads += 1
        return 0

    gate = LagGate(queue, lag, high_water=5, check_interval_s=60)
    try:
        for n in range(20):
            await gate.append("Main", telemetry(device(n), n))
        assert reads == 1
        assert gate.to_wire() == {
            "ingestGateOpen": True,
            "ingestGateClosings": 0,
            "ingestWaiting": 0,
        }
    finally:
        await gate.close()
        await queue.close()
