"""The runner holds a bounded window of fetched records; the backlog stays in the log."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.queue.ordering import ordered
from industryos.rules.consumer import _FETCH_AHEAD, _START_SLICE, QueueRunner
from industryos.rules.runtime import ChainRun
from industryos.rules.strategy import ProcessingStrategy, QueueSettings, SubmitStrategy

SETTINGS = dataclasses.replace(
    QueueSettings(
        "Main", SubmitStrategy.BURST, ProcessingStrategy.SKIP_ALL_FAILURES, 3, 0.05, 0.1, 10.0
    ),
    max_in_flight=2,
)


def _one_per_device(count: int) -> list[Msg]:
    """Messages of as many devices (each its own lane)."""
    return [
        Msg(
            type=MsgType.POST_TELEMETRY_REQUEST,
            originator=EntityRef(EntityType.DEVICE, uuid.uuid4()),
            tenant_id=uuid.uuid4(),
        )
        for _ in range(count)
    ]


async def _started(
    tmp_path: Path, msgs: list[Msg], chain: Callable[[Msg], Awaitable[ChainRun]]
) -> tuple[EmbeddedQueue, QueueRunner]:
    """A runner under ``SETTINGS`` consuming ``msgs`` from a fresh embedded queue."""
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    await queue.append_many("Main", msgs)
    runner = QueueRunner(queue, SETTINGS, "rules", chain)
    await runner.start()
    return queue, runner


async def test_fetched_records_stay_within_the_window_and_all_finish(tmp_path: Path) -> None:
    release = asyncio.Event()
    started: list[uuid.UUID] = []

    async def chain(msg: Msg) -> ChainRun:
        started.append(msg.originator.id)
        await release.wait()
        return ChainRun()

    msgs = _one_per_device(30)
    queue, runner = await _started(tmp_path, msgs, chain)
    try:
        async with asyncio.timeout(5):
            while len(started) < SETTINGS.max_in_flight:  # noqa: ASYNC110 - no event to wait on
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the fetch loop had time to read more if it would
        assert runner._held == _FETCH_AHEAD * SETTINGS.max_in_flight
        assert len(started) == SETTINGS.max_in_flight
        release.set()
        async with asyncio.timeout(10):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
        assert sorted(started) == sorted(m.originator.id for m in msgs)
        assert runner._held == 0
    finally:
        release.set()
        await runner.stop()
        await queue.close()


async def test_a_big_fetch_starts_its_messages_in_slices_between_loop_turns(
    tmp_path: Path,
) -> None:
    """The loop turns (sockets are read, commits complete) between slices of a big fetch."""
    started: list[uuid.UUID] = []
    per_turn: list[int] = []

    async def chain(msg: Msg) -> ChainRun:
        started.append(msg.originator.id)
        return ChainRun()

    async def count_per_turn() -> None:
        seen = 0
        while True:
            await asyncio.sleep(0)  # once per pass of the event loop
            per_turn.append(len(started) - seen)
            seen = len(started)

    count = 3 * _START_SLICE + 10
    msgs = [
        Msg(
            type=MsgType.POST_TELEMETRY_REQUEST,
            originator=EntityRef(EntityType.DEVICE, uuid.uuid4()),
            tenant_id=uuid.uuid4(),
        )
        for _ in range(count)
    ]
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    await queue.append_many("Main", msgs)
    settings = dataclasses.replace(SETTINGS, max_in_flight=1024)
    runner = QueueRunner(queue, settings, "rules", chain)
    counter = asyncio.create_task(count_per_turn())
    await runner.start()
    try:
        async with asyncio.timeout(10):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
        assert sorted(started) == sorted(m.originator.id for m in msgs)
        assert max(per_turn) <= _START_SLICE
    finally:
        counter.cancel()
        await runner.stop()
        await queue.close()


async def test_a_message_past_its_ordered_point_gives_back_its_in_flight_slot(
    tmp_path: Path,
) -> None:
    """Messages that only wait for their commit do not count against ``max_in_flight`` (the
    fetched-record window still bounds them), and each attempt gives its slot back once,
    retries included."""
    release = asyncio.Event()
    started: list[uuid.UUID] = []
    attempts: dict[uuid.UUID, int] = {}

    async def chain(msg: Msg) -> ChainRun:
        started.append(msg.originator.id)
        attempts[msg.originator.id] = attempts.get(msg.originator.id, 0) + 1
        ordered()  # its writes have their place; now it only waits for the "commit"
        await release.wait()
        if attempts[msg.originator.id] == 1 and msg.originator.id == msgs[0].originator.id:
            return ChainRun(error="storage down", outage=True)  # retried after its point
        return ChainRun()

    msgs = _one_per_device(30)
    queue, runner = await _started(tmp_path, msgs, chain)
    window = _FETCH_AHEAD * SETTINGS.max_in_flight
    try:
        async with asyncio.timeout(5):
            while len(started) < window:  # noqa: ASYNC110 - no event to wait on
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert len(started) == window  # more than max_in_flight, fewer than fetched
        assert runner._slots._free == SETTINGS.max_in_flight
        release.set()
        async with asyncio.timeout(10):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
        assert attempts[msgs[0].originator.id] == 2
        assert sorted(attempts) == sorted(m.originator.id for m in msgs)
        assert runner._slots._free == SETTINGS.max_in_flight  # none released twice
        assert runner.stats.retried == 1
    finally:
        release.set()
        await runner.stop()
        await queue.close()
