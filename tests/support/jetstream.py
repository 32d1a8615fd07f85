"""Fixtures of JetStream queue tests (registered for every test by ``tests/conftest.py``):
the machine's NATS server, streams and buckets of a prefix that belongs to one test
(deleted at its end)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from industryos.queue.jetstream import JetStreamConfig, JetStreamQueue, delete_queue

NATS_URL = "nats://127.0.0.1:4222"

OpenJetStream = Callable[..., Awaitable[JetStreamQueue]]


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A prefix of this test's own."""
    name = f"t{secrets.token_hex(6)}"
    yield name
    await delete_queue(NATS_URL, name)


@pytest.fixture
async def open_jetstream(prefix: str) -> AsyncIterator[OpenJetStream]:
    """Open queues (members) on the test's prefix; each is closed at the end."""
    opened: list[JetStreamQueue] = []

    async def open_(**overrides: Any) -> JetStreamQueue:
        settings: dict[str, Any] = {
            "url": NATS_URL,
            "prefix": prefix,
            "topics": {"Main": 4},
            "lease_ttl_s": 2.0,
        }
        settings.update(overrides)
        queue = await JetStreamQueue.connect(JetStreamConfig(**settings))
        opened.append(queue)
        return queue

    yield open_
    for queue in opened:
        await queue.close()
