"""A live node per module and engine, an aiocoap client, helpers to act on the node's loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from aiocoap import Context

from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node

T = TypeVar("T")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveNode]:
    """A started node (both engines) with its CoAP listener on port 0: aiocoap's socket sets
    SO_REUSEPORT, so a port picked in advance could be bound by another test's node as well,
    and datagrams would be shared between the two."""
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url(request.param))
    yield node
    node.stop()


@pytest.fixture
def coap_port(live: LiveNode) -> int:
    """The node's bound CoAP port."""
    assert live.node.devices is not None
    port = live.node.devices.coap.port
    assert port is not None
    return port


@pytest.fixture
async def client() -> AsyncIterator[Any]:
    """An aiocoap client context (the CoAP device's stack)."""
    context = await Context.create_client_context()
    yield context
    await context.shutdown()


@pytest.fixture
def device(live: LiveNode) -> tuple[Any, str]:
    """A fresh device of the test tenant and its access token."""
    token = f"coap-{uuid.uuid4().hex[:12]}"
    return live.create_device(f"dev-{token}", token=token), token


async def on_node(live: LiveNode, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the node's loop without blocking the test's loop."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, live.loop))


async def eventually(live: LiveNode, check: Any, within_s: float = 10.0) -> Any:
    """Poll a blocking ``check`` (a storage read) until truthy, letting the client run."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within_s} s")
        await asyncio.sleep(0.05)
