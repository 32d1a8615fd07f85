"""Two real nodes in cluster mode: one PostgreSQL database, the real NATS bus on 4222.

Node A makes the tenant the tests act in (``admin@mqtt.test``); node B joins the same
database and bus. Every node's bus subjects carry random ids of its own, so clusters of
concurrent tests only share the broadcast subjects, whose notices are harmless elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node

__all__ = ["NATS_URL", "Cluster", "running_cluster", "tenant_admin_client"]

NATS_URL = "nats://127.0.0.1:4222"


@dataclass
class Cluster:
    a: LiveNode
    b: LiveNode


@contextmanager
def running_cluster(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> Iterator[Cluster]:
    """Nodes A and B on a fresh PostgreSQL database, both with ``overrides`` settings."""
    url = database_factory.new_url("postgresql")
    a = start_live_node(tmp_path_factory.mktemp("a"), url, bus_url=NATS_URL, **overrides)
    try:
        b = start_live_node(
            tmp_path_factory.mktemp("b"), url, bus_url=NATS_URL, with_tenant=False, **overrides
        )
        try:
            yield Cluster(a, b)
        finally:
            b.stop()
    finally:
        a.stop()
        database_factory.release(url)


@asynccontextmanager
async def tenant_admin_client(node: LiveNode) -> AsyncIterator[httpx.AsyncClient]:
    """The tenant admin's REST client on ``node``."""
    base = f"http://127.0.0.1:{node.node.http_port}"
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        login = {"username": "admin@mqtt.test", "password": "password"}
        answer = await client.post("/api/auth/login", json=login)
        assert answer.status_code == 200, answer.text
        client.headers["X-Authorization"] = f"Bearer {answer.json()['token']}"
        yield client
