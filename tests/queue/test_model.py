"""A hypothesis state machine: random appends, acks, reopens and torn tails against a model.

The model is, per partition, the list of appended message ids and the ``rules`` group's
committed offset. After every reopen the log must hold exactly the model (nothing lost,
nothing duplicated, order kept) and ``rules`` must resume right after its last ack.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from industryos.msg import Msg
from industryos.queue import partition_for
from industryos.queue.embedded import EmbeddedConsumer, EmbeddedQueue, EmbeddedQueueConfig
from tests.queue.conftest import device, drain, telemetry

PARTITIONS = 3
T = TypeVar("T")


class QueueModel(RuleBasedStateMachine):
    """Drives an embedded queue and a plain-Python model side by side."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = Path(tempfile.mkdtemp(prefix="queue-model-"))
        self.config = EmbeddedQueueConfig(self.dir, {"Main": PARTITIONS}, segment_bytes=4096)
        self.stored: list[list[uuid.UUID]] = [[] for _ in range(PARTITIONS)]
        self.committed = [0] * PARTITIONS
        self.queue: EmbeddedQueue = self.run(EmbeddedQueue.open(self.config))
        self.group: EmbeddedConsumer = self.run(self.queue.subscribe("Main", "rules"))
        self.run(self.queue.subscribe("Main", "all"))  # never acks: keeps every segment

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on this machine's loop."""
        return self.loop.run_until_complete(coro)

    @rule(devices=st.lists(st.integers(0, 30), min_size=1, max_size=20), many=st.booleans())
    def append(self, devices: list[int], many: bool) -> None:
        msgs = [telemetry(device(n), i) for i, n in enumerate(devices)]
        if many:
            self.run(self.queue.append_many("Main", msgs))
        else:
            self.run(self.append_concurrently(msgs))
        for msg in msgs:
            self.stored[partition_for(msg.originator.id, PARTITIONS)].append(msg.id)

    async def append_concurrently(self, msgs: list[Msg]) -> None:
        """One task per message, as separate connections would."""
        await asyncio.gather(*(self.queue.append("Main", m) for m in msgs))

    @rule(fraction=st.floats(0, 1))
    def consume_and_ack_some(self, fraction: float) -> None:
        batches = self.run(drain(self.group, max_wait=0.01))
        for batch in batches:
            expected = self.stored[batch.partition]
            assert [r.msg.id for r in batch.records] == expected[
                batch.records[0].offset : batch.last_offset + 1
            ]
            keep = int(len(batch.records) * fraction)
            if keep:
                offset = batch.records[keep - 1].offset
                self.run(self.group.ack(batch.partition, offset))
                self.committed[batch.partition] = max(self.committed[batch.partition], offset + 1)

    @rule()
    def reopen(self) -> None:
        self.run(self.queue.close())
        self.queue = self.run(EmbeddedQueue.open(self.config))
        self.group = self.run(self.queue.subscribe("Main", "rules"))
        self.check_replay()

    @precondition(lambda self: any(self.stored))
    @rule(partition=st.integers(0, PARTITIONS - 1), garbage=st.binary(min_size=1, max_size=64))
    def crash_with_torn_tail(self, partition: int, garbage: bytes) -> None:
        self.run(self.queue.close())
        last = sorted((self.dir / "topics" / "Main" / str(partition)).glob("*.log"))[-1]
        with last.open("ab") as f:
            f.write(garbage)
        self.queue = self.run(EmbeddedQueue.open(self.config))
        assert self.queue.recovered_bytes == len(garbage)
        self.group = self.run(self.queue.subscribe("Main", "rules"))
        self.check_replay()

    def check_replay(self) -> None:
        """After a reopen: the log is the model, and rules resumes after its acks."""
        everything = self.run(self.queue.subscribe("Main", "all"))
        by_partition: list[list[uuid.UUID]] = [[] for _ in range(PARTITIONS)]
        for batch in self.run(drain(everything, max_wait=0.01)):
            by_partition[batch.partition].extend(r.msg.id for r in batch.records)
        assert by_partition == self.stored
        self.run(everything.close())
        for partition in range(PARTITIONS):
            lag = self.stored[partition][self.committed[partition] :]
            assert self.group.lag()[partition] == len(lag)

    @invariant()
    def positions_match_the_model(self) -> None:
        ends = [p.end_offset for p in self.queue.stats().partitions]
        assert ends == [len(ids) for ids in self.stored]

    def teardown(self) -> None:
        try:
            self.run(self.queue.close())
        finally:
            self.loop.close()
            shutil.rmtree(self.dir, ignore_errors=True)


QueueModel.TestCase.settings = settings(max_examples=20, stateful_step_count=12, deadline=None)
TestQueueModel = QueueModel.TestCase
