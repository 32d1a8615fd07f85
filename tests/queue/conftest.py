"""Helpers for queue tests: telemetry messages, an opened queue, draining a consumer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import orjson
import pytest

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue import Batch, QueueConsumer
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig

TENANT = uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001")

OpenQueue = Callable[..., Awaitable[EmbeddedQueue]]


def device(n: int) -> EntityRef:
    """A stable device originator number ``n``."""
    return EntityRef(EntityType.DEVICE, uuid.UUID(int=0xD0_0000 + n))


def telemetry(originator: EntityRef, seq: int, size: int = 0) -> Msg:
    """A device telemetry message carrying its per-originator sequence number."""
    data = orjson.dumps({"seq": seq, "temperature": 21.5, "pad": "x" * size}).decode()
    return Msg(MsgType.POST_TELEMETRY_REQUEST, originator, TENANT, data=data)


def seq_of(msg: Msg) -> int:
    """The sequence number :func:`telemetry` put in ``msg``."""
    value = orjson.loads(msg.data)["seq"]
    assert isinstance(value, int)
    return value


async def drain(consumer: QueueConsumer, ack: bool = False, max_wait: float = 0.2) -> list[Batch]:
    """Fetch until nothing more arrives within ``max_wait``; optionally ack every batch."""
    batches: list[Batch] = []
    while fetched := await consumer.fetch(500, max_wait=max_wait):
        for batch in fetched:
            batches.append(batch)
            if ack:
                await consumer.ack(batch.partition, batch.last_offset)
    return batches


def messages(batches: list[Batch]) -> list[Msg]:
    """Every message in ``batches``, in delivery order."""
    return [record.msg for batch in batches for record in batch.records]


@pytest.fixture
def queue_dir(tmp_path: Path) -> Path:
    """The queue's data directory."""
    return tmp_path / "queue"


@pytest.fixture(params=[256 << 10, 0], ids=["recent-in-memory", "read-from-disk"])
async def open_queue(queue_dir: Path, request: pytest.FixtureRequest) -> AsyncIterator[OpenQueue]:
    """Open (and reopen) an embedded queue on ``queue_dir``; all are closed at the end.

    Every test runs twice: consumers handed the newest records from memory, and consumers
    that always read and decode the log files (``recent_bytes=0``). A test parametrized
    with None (indirectly) runs once, with the queue's default or its own setting.
    """
    opened: list[EmbeddedQueue] = []

    async def _open(**overrides: object) -> EmbeddedQueue:
        settings: dict[str, object] = {"data_dir": queue_dir, "topics": {"Main": 4}}
        if request.param is not None:
            settings["recent_bytes"] = request.param
        settings.update(overrides)
        queue = await EmbeddedQueue.open(EmbeddedQueueConfig(**settings))  # type: ignore[arg-type]
        opened.append(queue)
        return queue

    yield _open
    for queue in opened:
        await queue.close()
