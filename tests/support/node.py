"""A whole embedded node started in the test's loop, and its demo tenant admin's client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from industryos.config import load_settings
from industryos.demo import TENANT_ADMIN_EMAIL
from industryos.node import Node
from tests.api.conftest import TEST_SECRET

__all__ = ["demo_admin_client", "running_node"]


@asynccontextmanager
async def running_node(
    data_dir: Path,
    db_url: str,
    *,
    before_ready: Callable[[Node], Awaitable[None]] | None = None,
    **overrides: Any,
) -> AsyncIterator[Node]:
    """A started node on ``db_url`` with every listener on a free loopback port;
    ``before_ready`` runs once its HTTP API serves, before it reports ready."""
    settings = load_settings(
        **{
            "data_dir": data_dir,
            "http_port": 0,
            "http_host": "127.0.0.1",
            "db_url": db_url,
            "jwt_secret": TEST_SECRET,
            "mqtt_port": 0,
            "mqtt_tls_port": 0,
            "coap_port": 0,
            **overrides,
        }
    )
    node = Node(settings, before_ready=None if before_ready is None else lambda: before_ready(node))
    await node.start()
    try:
        yield node
    finally:
        await node.stop()


@asynccontextmanager
async def demo_admin_client(
    node: Node, request_timeout: float = 5.0
) -> AsyncIterator[httpx.AsyncClient]:
    """A REST client of ``node`` logged in as the demo tenant's admin."""
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{node.http_port}", timeout=request_timeout
    ) as client:
        login = await client.post(
            "/api/auth/login", json={"username": TENANT_ADMIN_EMAIL, "password": "tenant"}
        )
        assert login.status_code == 200, login.text
        client.headers["X-Authorization"] = f"Bearer {login.json()['token']}"
        yield client
