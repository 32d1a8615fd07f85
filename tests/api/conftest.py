"""An in-process REST API over a fresh database (both engines), with helpers to log in.

Each test gets the sysadmin plus a tenant "A" (admin, customer, customer user); more tenants
come from :meth:`Platform.new_tenant`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.api.app import create_app
from industryos.api.tokens import TokenIssuer
from industryos.config import load_settings
from industryos.entities.models import Authority, User
from industryos.node import Core, build_core
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

    def __init__(self, core: Core, app: Any, publisher: RecordingPublisher) -> None:
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

    async def close(self) -> None:
        """Close every client handed out."""
        for client in self._clients:
            await client.aclose()


@pytest.fixture
async def platform(engine: AsyncEngine, tmp_path: Any) -> AsyncIterator[Platform]:
    settings = load_settings(data_dir=tmp_path, jwt_secret=TEST_SECRET, demo=False)
    publisher = RecordingPublisher()
    core = build_core(Database(engine), settings, publisher)
    await core.sessions.load()
    await core.timeseries.writer.start()
    await core.users.create(User(email=SYSADMIN[0], authority=Authority.SYS_ADMIN), SYSADMIN[1])
    tokens = TokenIssuer(TEST_SECRET, settings.jwt_issuer, 9000, 604800)
    app = create_app(core.api_context(tokens, settings.max_page_size))
    platform = Platform(core, app, publisher)
    yield platform
    await platform.close()
    await core.timeseries.writer.stop()
