"""A real uvicorn server on a free port over the test platform, and a WebSocket client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from industryos.api import ws
from industryos.api.routes import entity_query
from industryos.api.server import HttpServer
from industryos.entities.query import EntityQueryService
from tests.api.conftest import Platform

RECV_TIMEOUT_S = 10.0
"""Safety net so a missing message fails the test instead of hanging it."""


def token_of(client: httpx.AsyncClient) -> str:
    """The JWT a logged-in platform client carries."""
    return str(client.headers["X-Authorization"]).removeprefix("Bearer ")


async def recv_json(connection: ClientConnection) -> Any:
    """The next message, parsed."""
    return orjson.loads(await asyncio.wait_for(connection.recv(), RECV_TIMEOUT_S))


async def send_json(connection: ClientConnection, message: Any) -> None:
    """Send ``message`` as a JSON text frame."""
    await connection.send(orjson.dumps(message).decode())


@dataclass
class Live:
    """The platform served over HTTP/WebSocket on a loopback port."""

    platform: Platform
    services: ws.WsServices
    port: int

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def connect(self, path: str = "/api/ws", **kwargs: Any) -> Any:
        """A websockets client connection (async context manager)."""
        return connect(self.url + path, open_timeout=RECV_TIMEOUT_S, **kwargs)

    async def authed(self, client: httpx.AsyncClient, **kwargs: Any) -> ClientConnection:
        """An ``/api/ws`` connection authenticated with ``client``'s token via ``?token=``."""
        return await connect(f"{self.url}/api/ws?token={token_of(client)}", **kwargs)


@pytest.fixture
async def live(platform: Platform) -> AsyncIterator[Live]:
    queries = EntityQueryService(platform.core.db, platform.core.timeseries.keys)
    entity_query.install(platform.app, queries)
    services = ws.WsServices(platform.core.lookup, platform.core.telemetry, queries)
    ws.install(platform.app, services)
    server = HttpServer(platform.app, "127.0.0.1", 0)
    await server.start()
    try:
        yield Live(platform, services, server.port)
    finally:
        await server.stop()
