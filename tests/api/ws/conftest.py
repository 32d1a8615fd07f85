"""A real uvicorn server on a free port over the test platform, and a WebSocket client.

The platform here is the one of ``tests/api/conftest.py`` with its rule-engine publisher
tapped for entity changes (as the node wires it), so live counts, dynamic pages and alarm
subscriptions hear about created and deleted entities.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection, connect

from industryos.alarms.data_query import AlarmDataQueries
from industryos.api import ws
from industryos.api.app import create_app
from industryos.api.routes import entity_query
from industryos.api.server import HttpServer
from industryos.api.tokens import TokenIssuer
from industryos.config import load_settings
from industryos.entities.models import Authority, User
from industryos.entities.query import EntityQueryService
from industryos.node import build_core
from industryos.storage.database import Database
from tests.api.conftest import SYSADMIN, TEST_SECRET, Platform
from tests.support.recording import RecordingPublisher

REFRESH_INTERVAL_S = 0.05
"""Live re-queries run at most this often in tests (1 s on a node)."""

RECV_TIMEOUT_S = 10.0
"""Safety net so a missing message fails the test instead of hanging it."""


def token_of(client: httpx.AsyncClient) -> str:
    """The JWT a logged-in platform client carries."""
    return str(client.headers["X-Authorization"]).removeprefix("Bearer ")


async def recv_json(connection: ClientConnection) -> Any:
    """The next message, parsed."""
    return orjson.loads(await asyncio.wait_for(connection.recv(), RECV_TIMEOUT_S))


async def bell_pushes(connection: ClientConnection) -> dict[int, Any]:
    """The next push of a NOTIFICATIONS subscription (cmdId 1) and of a NOTIFICATIONS_COUNT
    one (cmdId 2) on the same connection, in either order, by cmdId."""
    pushed = [await recv_json(connection), await recv_json(connection)]
    by_cmd = {p["cmdId"]: p for p in pushed}
    assert sorted(by_cmd) == [1, 2], pushed
    assert by_cmd[2]["cmdUpdateType"] == "NOTIFICATIONS_COUNT"
    assert by_cmd[2]["totalUnreadCount"] == by_cmd[1]["totalUnreadCount"]
    return by_cmd


async def send_json(connection: ClientConnection, message: Any) -> None:
    """Send ``message`` as a JSON text frame."""
    await connection.send(orjson.dumps(message).decode())


async def ask(connection: ClientConnection, cmd: dict[str, Any]) -> Any:
    """Send one command and return the next message."""
    await send_json(connection, {"cmds": [cmd]})
    return await recv_json(connection)


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
def recording() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def entity_tap(recording: RecordingPublisher) -> ws.EntityChangeTap:
    return ws.EntityChangeTap(recording)


@pytest.fixture
async def platform(
    engine: AsyncEngine,
    tmp_path: Any,
    recording: RecordingPublisher,
    entity_tap: ws.EntityChangeTap,
) -> AsyncIterator[Platform]:
    settings = load_settings(data_dir=tmp_path, jwt_secret=TEST_SECRET, demo=False)
    core = build_core(Database(engine), settings, entity_tap)
    await core.sessions.load()
    await core.start()
    await core.users.create(User(email=SYSADMIN[0], authority=Authority.SYS_ADMIN), SYSADMIN[1])
    tokens = TokenIssuer(TEST_SECRET, settings.jwt_issuer, 9000, 604800)
    app = create_app(core.api_context(tokens, settings.max_page_size))
    platform = Platform(core, app, recording)
    yield platform
    await platform.close()
    await core.stop()


@pytest.fixture
async def live(platform: Platform, entity_tap: ws.EntityChangeTap) -> AsyncIterator[Live]:
    core = platform.core
    queries = EntityQueryService(core.db, core.timeseries.keys)
    entity_query.install(platform.app, queries)
    services = ws.WsServices(
        core.lookup,
        core.telemetry,
        queries,
        limits=ws.WsLimits(refresh_interval_s=REFRESH_INTERVAL_S),
        notifications=core.notifications.center.inbox,
        alarm_queries=AlarmDataQueries(core.db, queries, core.alarms.queries),
        alarm_changes=ws.alarm_feed(core.alarms.service),
        entity_changes=entity_tap.feed,
    )
    ws.install(platform.app, services)
    server = HttpServer(platform.app, "127.0.0.1", 0)
    await server.start()
    try:
        yield Live(platform, services, server.port)
    finally:
        await server.stop()


async def until(condition: Callable[[], bool], within_s: float = 5.0) -> None:
    """Until ``condition()`` holds (a state with no event to wait on, such as what a cluster
    feed has learnt from the bus)."""
    async with asyncio.timeout(within_s):
        while not condition():  # noqa: ASYNC110 - no event to wait on
            await asyncio.sleep(0.005)
