"""An in-process REST API over a fresh database (both engines), with helpers to log in.

Each test gets the sysadmin plus a tenant "A" (admin, customer, customer user); more tenants
come from :meth:`Platform.new_tenant`. ``platform`` serves the routers of ``create_app`` only;
``node_platform`` is a real :class:`Node` started on the test's loop, serving every route the
node serves (the tenant-isolation matrix and the bad-input cases run on it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import WebSocketRoute

from industryos.api.app import create_app
from industryos.api.tokens import TokenIssuer
from industryos.config import load_settings
from industryos.demo import SYSADMIN_EMAIL
from industryos.entities.models import Authority, User
from industryos.node import Core, Node, build_core
from industryos.storage.database import Database
from tests.support.recording import RecordingPublisher

TEST_SECRET = "t" * 64
SYSADMIN = ("sysadmin@test.local", "sysadmin-pw")


@dataclass
class TenantAccounts:
    """A tenant with an admin, a customer and a customer user, all logged in."""

    tenant_id: str
    admin: httpx.AsyncClient
    customer_id: str
    customer_user: httpx.AsyncClient


class Platform:
    """Clients and shortcuts for one test's platform."""

    def __init__(self, core: Core, app: Any, publisher: RecordingPublisher | None) -> None:
        self.core = core
        self.app = app
        self.publisher = publisher
        self._clients: list[httpx.AsyncClient] = []

    def client(self, token: str | None = None) -> httpx.AsyncClient:
        """An HTTP client on the in-process app, optionally authenticated."""
        headers = {"X-Authorization": f"Bearer {token}"} if token else {}
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://test", headers=headers
        )
        self._clients.append(client)
        return client

    async def login(self, email: str, password: str) -> httpx.AsyncClient:
        """A client carrying the access token of ``email``."""
        response = await self.client().post(
            "/api/auth/login", json={"username": email, "password": password}
        )
        assert response.status_code == 200, response.text
        return self.client(response.json()["token"])

    async def sysadmin(self) -> httpx.AsyncClient:
        """Logged in as the system administrator."""
        return await self.login(*SYSADMIN)

    async def new_tenant(self, name: str) -> TenantAccounts:
        """A tenant with an admin, a customer and a customer user, all logged in."""
        sysadmin = await self.sysadmin()
        tenant = (await sysadmin.post("/api/tenant", json={"title": name})).json()
        tenant_id = tenant["id"]["id"]
        admin_email = f"admin-{uuid.uuid4().hex[:8]}@{name.lower()}.test"
        await self.core.users.create(
            User(
                email=admin_email, authority=Authority.TENANT_ADMIN, tenant_id=uuid.UUID(tenant_id)
            ),
            "password1",
        )
        admin = await self.login(admin_email, "password1")
        customer = (await admin.post("/api/customer", json={"title": f"{name} Customer"})).json()
        customer_id = customer["id"]["id"]
        user_email = f"user-{uuid.uuid4().hex[:8]}@{name.lower()}.test"
        await self.core.users.create(
            User(
                email=user_email,
                authority=Authority.CUSTOMER_USER,
                tenant_id=uuid.UUID(tenant_id),
                customer_id=uuid.UUID(customer_id),
            ),
            "password1",
        )
        customer_user = await self.login(user_email, "password1")
        return TenantAccounts(tenant_id, admin, customer_id, customer_user)

    def published(self) -> int:
        """How many messages the services handed to the rule engine so far."""
        assert self.publisher is not None
        return len(self.publisher.messages)

    def routes(self) -> set[tuple[str, str]]:
        """(method, path) of every route the app serves; WebSocket endpoints as ``WEBSOCKET``.

        FastAPI keeps included routers as nodes of ``app.routes``; ``iter_route_contexts``
        is its public way to see each endpoint with its full path.
        """
        served = set()
        for route in iter_route_contexts(self.app.routes):
            if route.path is None:
                continue
            if isinstance(route.original_route, APIWebSocketRoute | WebSocketRoute):
                served.add(("WEBSOCKET", route.path))
            for method in route.methods or ():
                served.add((method, route.path))
        return served

    async def close(self) -> None:
        """Close every client handed out."""
        for client in self._clients:
            await client.aclose()


async def ok(response: httpx.Response) -> Any:
    """The JSON body of a response that must be 200 (None when it has no body)."""
    assert response.status_code == 200, response.text
    return response.json() if response.content else None


@pytest.fixture
async def platform(engine: AsyncEngine, tmp_path: Any) -> AsyncIterator[Platform]:
    settings = load_settings(data_dir=tmp_path, jwt_secret=TEST_SECRET, demo=False)
    publisher = RecordingPublisher()
    core = build_core(Database(engine), settings, publisher)
    await core.sessions.load()
    await core.start()
    await core.users.create(User(email=SYSADMIN[0], authority=Authority.SYS_ADMIN), SYSADMIN[1])
    tokens = TokenIssuer(TEST_SECRET, settings.jwt_issuer, 9000, 604800)
    app = create_app(core.api_context(tokens, settings.max_page_size))
    platform = Platform(core, app, publisher)
    yield platform
    await platform.close()
    await core.stop()


class NodePlatform(Platform):
    """The same helpers over a started :class:`Node`: its fully wired app, its database.

    Messages go to the node's durable queue (no recording publisher): :meth:`published`
    counts the queue's appends, which is every message handed to the rule engine.
    """

    def __init__(self, node: Node) -> None:
        assert node.core is not None and node.app is not None
        super().__init__(node.core, node.app, None)
        self.node = node

    async def sysadmin(self) -> httpx.AsyncClient:
        """The system administrator the node creates on first start."""
        return await self.login(SYSADMIN_EMAIL, "sysadmin")

    def published(self) -> int:
        stats = self.node.queue_stats()
        assert stats is not None
        return stats.appended

    async def settle(self) -> None:
        """Wait until the rule engine consumed every queued message and notifications ran.

        Entity events of the test's setup are processed in the background; a snapshot taken
        before they are done could see rows appear that no request under test wrote.
        """
        while True:
            await self.core.notifications.center.wait_idle()
            stats = self.node.queue_stats()
            assert stats is not None
            if all(lag.lag == 0 for lag in stats.lags):
                return
            await asyncio.sleep(0.01)


@pytest.fixture
async def node_platform(db_url: str, tmp_path: Any) -> AsyncIterator[NodePlatform]:
    """A real node on this test's loop and database: HTTP on port 0, MQTT/CoAP on port 0."""
    settings = load_settings(
        data_dir=tmp_path / "node",
        db_url=db_url,
        jwt_secret=TEST_SECRET,
        demo=False,
        http_host="127.0.0.1",
        http_port=0,
        mqtt_port=0,
        mqtt_tls_port=0,
        coap_port=0,
    )
    node = Node(settings)
    await node.start()
    platform = NodePlatform(node)
    try:
        yield platform
    finally:
        await platform.close()
        await node.stop()
