"""The real ``tb-rest-client`` 4.4 saves, reads, lists and deletes dashboards unchanged."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from tb_rest_client.models import Dashboard
from tb_rest_client.rest_client import RestClient

from industryos.api.server import HttpServer
from industryos.entities.models import Authority, User
from tests.api.conftest import Platform

T = TypeVar("T")
PASSWORD = "client-pw-1"


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """One blocking client call off the loop, so the in-process server keeps serving."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture
async def client(platform: Platform) -> AsyncIterator[RestClient]:
    server = HttpServer(platform.app, "127.0.0.1", 0)
    await server.start()
    rest = RestClient(f"http://127.0.0.1:{server.port}")
    try:
        sysadmin = await platform.sysadmin()
        tenant = (await sysadmin.post("/api/tenant", json={"title": "Client Tenant"})).json()
        email = f"client-{uuid.uuid4().hex[:8]}@tenant.test"
        await platform.core.users.create(
            User(
                email=email,
                authority=Authority.TENANT_ADMIN,
                tenant_id=uuid.UUID(tenant["id"]["id"]),
            ),
            PASSWORD,
        )
        await call(rest.login, email, PASSWORD)
        yield rest
    finally:
        if rest.api_client is not None:
            rest.api_client.rest_client.pool_manager.clear()
        await server.stop()


async def test_client_saves_reads_lists_and_deletes(client: RestClient) -> None:
    configuration = {"widgets": {}, "states": {"default": {"name": "Main", "root": True}}}
    saved = await call(
        client.save_dashboard, Dashboard(title="Client dashboard", configuration=configuration)
    )
    assert saved.id.entity_type == "DASHBOARD"
    assert saved.name == "Client dashboard"
    read = await call(client.get_dashboard_by_id, saved.id)
    assert read.configuration == configuration
    info = await call(client.get_dashboard_info_by_id, saved.id)
    assert info.title == "Client dashboard"
    page = await call(client.get_tenant_dashboards, 10, 0)
    assert [d.title for d in page.data] == ["Client dashboard"]
    assert await call(client.get_server_time) > 0
    await call(client.delete_dashboard, saved.id)
    empty = await call(client.get_tenant_dashboards, 10, 0)
    assert empty.total_elements == 0
