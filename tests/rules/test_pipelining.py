"""A lane pipelines its originator's messages past their ordered point, acks stay in order.

The runner runs over a real embedded queue; ``process`` stands in for a chain whose last
node puts its writes in a storage batch (``ordered()``) and then waits for the commit
(``hold`` messages wait until the test releases them).
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import uuid
from pathlib import Path

import orjson

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.queue.ordering import ordered, pipelined, suspended
from industryos.rules.consumer import QueueRunner
from industryos.rules.runtime import ChainRun
from industryos.rules.strategy import ProcessingStrategy, QueueSettings, SubmitStrategy
from tests.support.collector import clear_garbage, collect

SETTINGS = QueueSettings(
    "Main", SubmitStrategy.BURST, ProcessingStrategy.SKIP_ALL_FAILURES, 3, 0.05, 0.1, 10.0
)


class Chain:
    """Records starts and ends; ``hold`` messages wait for ``release``."""

    def __init__(self, *, signals: bool) -> None:
        self.signals = signals
        self.started: list[int] = []
        self.finished: list[int] = []
        self.release = asyncio.Event()
        self.changed = asyncio.Event()

    async def __call__(self, msg: Msg) -> ChainRun:
        body = orjson.loads(msg.data)
        self.started.append(body["seq"])
        self.changed.set()
        if self.signals:
            ordered()
        if body.get("hold"):
            await self.release.wait()
        else:
            await asyncio.sleep(0)
        self.finished.append(body["seq"])
        self.changed.set()
        return ChainRun()

    async def until(self, predicate: object, limit_s: float = 5.0) -> None:
        async with asyncio.timeout(limit_s):
            while not predicate():  # type: ignore[operator]
                self.changed.clear()
                await self.changed.wait()


def _msg(device: uuid.UUID, seq: int, hold: bool = False) -> Msg:
    return Msg(
        type=MsgType.POST_TELEMETRY_REQUEST,
        originator=EntityRef(EntityType.DEVICE, device),
        tenant_id=uuid.uuid4(),
        data=orjson.dumps({"seq": seq, "hold": hold}).decode(),
    )


async def _run(tmp_path: Path, chain: Chain, msgs: list[Msg]) -> tuple[EmbeddedQueue, QueueRunner]:
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    await queue.append_many("Main", msgs)
    runner = QueueRunner(queue, SETTINGS, "rules", chain)
    await runner.start()
    return queue, runner


async def test_lane_starts_the_next_message_once_the_previous_reached_its_point(
    tmp_path: Path,
) -> None:
    device = uuid.uuid4()
    chain = Chain(signals=True)
    queue, runner = await _run(
        tmp_path, chain, [_msg(device, 0, hold=True), _msg(device, 1), _msg(device, 2)]
    )
    try:
        await chain.until(lambda: chain.finished == [1, 2])
        assert chain.started == [0, 1, 2]
        await asyncio.sleep(0.1)
        assert runner.lag() == 3, "acked past a message still in its chain"
        chain.release.set()
        await chain.until(lambda: len(chain.finished) == 3)
        async with asyncio.timeout(5):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
    finally:
        chain.release.set()
        await runner.stop()
        await queue.close()


async def test_without_an_ordered_point_a_lane_runs_one_message_at_a_time(
    tmp_path: Path,
) -> None:
    device, other = uuid.uuid4(), uuid.uuid4()
    chain = Chain(signals=False)
    queue, runner = await _run(
        tmp_path, chain, [_msg(device, 0, hold=True), _msg(device, 1), _msg(other, 2)]
    )
    try:
        await chain.until(lambda: chain.finished == [2])
        await asyncio.sleep(0.1)
        assert sorted(chain.started) == [0, 2], "the same originator's next message started early"
        chain.release.set()
        await chain.until(lambda: len(chain.finished) == 3)
        assert chain.finished.index(0) < chain.finished.index(1)
    finally:
        chain.release.set()
        await runner.stop()
        await queue.close()


async def test_suspended_blocks_the_signal_for_the_block_and_its_tasks() -> None:
    calls: list[str] = []

    async def body() -> None:
        with suspended():
            ordered()
            await asyncio.gather(asyncio.sleep(0), _signal())
        ordered()

    async def _signal() -> None:
        ordered()

    task = asyncio.get_running_loop().create_task(
        body(), context=pipelined(lambda: calls.append("point"))
    )
    await task
    assert calls == ["point"]


async def test_a_finished_message_never_releases_a_later_message_of_its_lane(
    tmp_path: Path,
) -> None:
    """Message 0 passes its point and ends while message 1 (no point) is still running:
    the end of 0 must not count as 1's point, so 2 waits for 1."""
    device = uuid.uuid4()
    started: list[int] = []
    release = asyncio.Event()
    first_done = asyncio.Event()

    async def chain(msg: Msg) -> ChainRun:
        seq = orjson.loads(msg.data)["seq"]
        started.append(seq)
        if seq == 0:
            ordered()
            await asyncio.sleep(0.05)  # the lane has moved on to message 1 by now
            first_done.set()
        elif seq == 1:
            await release.wait()
        return ChainRun()

    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    await queue.append_many("Main", [_msg(device, 0), _msg(device, 1), _msg(device, 2)])
    runner = QueueRunner(queue, SETTINGS, "rules", chain)
    await runner.start()
    try:
        async with asyncio.timeout(5):
            await first_done.wait()
        await asyncio.sleep(0.1)
        assert started == [0, 1], "message 2 started before message 1 reached its point"
        release.set()
        async with asyncio.timeout(5):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
        assert started == [0, 1, 2]
    finally:
        release.set()
        await runner.stop()
        await queue.close()


_SEEN: contextvars.ContextVar[int | None] = contextvars.ContextVar("test_seen", default=None)


async def test_the_next_message_does_not_inherit_what_the_previous_set_in_its_context(
    tmp_path: Path,
) -> None:
    """The lane's next message is started from the previous message's point, inside that
    message's task: it must still start from the runner's context, not the previous one's."""
    device = uuid.uuid4()
    seen: list[int | None] = []

    async def chain(msg: Msg) -> ChainRun:
        seq = orjson.loads(msg.data)["seq"]
        seen.append(_SEEN.get())
        _SEEN.set(seq)
        ordered()
        await asyncio.sleep(0)
        return ChainRun()

    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    await queue.append_many("Main", [_msg(device, seq) for seq in range(3)])
    runner = QueueRunner(queue, SETTINGS, "rules", chain)
    await runner.start()
    try:
        async with asyncio.timeout(5):
            while runner.lag():  # noqa: ASYNC110 - lag has no event
                await asyncio.sleep(0.01)
        assert seen == [None, None, None]
    finally:
        await runner.stop()
        await queue.close()


async def test_a_stop_starts_no_waiting_message_and_a_restart_runs_them(tmp_path: Path) -> None:
    """Cancelling the message in its chain ends it; the ones behind it in its lane must not
    start during the stop, and come back (unacked) on the next start."""
    device = uuid.uuid4()
    chain = Chain(signals=False)
    queue, runner = await _run(
        tmp_path, chain, [_msg(device, 0, hold=True), _msg(device, 1), _msg(device, 2)]
    )
    try:
        await chain.until(lambda: chain.started == [0])
        await runner.stop()
        await asyncio.sleep(0.05)
        assert chain.started == [0], "a stop started the lane's next message"
        assert chain.finished == []
        chain.release.set()
        runner = QueueRunner(queue, SETTINGS, "rules", chain)
        await runner.start()
        await chain.until(lambda: sorted(chain.finished) == [0, 1, 2])
        assert chain.started == [0, 0, 1, 2]
    finally:
        chain.release.set()
        await runner.stop()
        await queue.close()


async def test_a_finished_message_leaves_no_reference_cycle(tmp_path: Path) -> None:
    """Serving must make (almost) no cyclic garbage: every cycle a message leaves behind is
    found only by the collector, whose young collections then walk ~100k objects. A step
    that kept its task (whose context holds the step) was such a cycle per message."""
    device = uuid.uuid4()
    chain = Chain(signals=True)
    collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage
    try:
        queue, runner = await _run(tmp_path, chain, [_msg(device, seq) for seq in range(20)])
        try:
            await chain.until(lambda: len(chain.finished) == 20)
            async with asyncio.timeout(5):
                while runner.lag():  # noqa: ASYNC110 - lag has no event
                    await asyncio.sleep(0.01)
            collect()
            steps = [o for o in gc.garbage if type(o).__name__ == "_Step"]
        finally:
            await runner.stop()
            await queue.close()
    finally:
        gc.set_debug(0)
        clear_garbage()
    assert steps == []
