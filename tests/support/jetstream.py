"""Fixtures of JetStream queue tests (registered for every test by ``tests/conftest.py``):
the machine's NATS server, streams and buckets of a prefix that belongs to one test
(deleted at its end)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import nats
import pytest
from nats.errors import Error as NatsError

from industryos.queue.jetstream import JetStreamConfig, JetStreamQueue
from industryos.queue.jetstream.names import lease_bucket

NATS_URL = "nats://127.0.0.1:4222"

OpenJetStream = Callable[..., Awaitable[JetStreamQueue]]


async def delete_prefix(url: str, prefix: str) -> None:
    """Delete every stream and the lease bucket of ``prefix``."""
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            if info.config.name is not None and info.config.name.startswith(f"{prefix}_"):
                await js.delete_stream(info.config.name)
        with contextlib.suppress(NatsError):
            await js.delete_key_value(lease_bucket(prefix))
    finally:
        await client.close()


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    """A prefix of this test's own."""
    name = f"t{secrets.token_hex(6)}"
    yield name
    await delete_prefix(NATS_URL, name)


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
