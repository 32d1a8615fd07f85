"""The real ``tb-rest-client`` 4.4 saves, reads, lists and deletes dashboards unchanged."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from tb_rest_client.models import Dashboard, HomeDashboardInfo
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


async def test_client_home_dashboard_and_public_login(
    client: RestClient, platform: Platform
) -> None:
    saved = await call(client.save_dashboard, Dashboard(title="Wall", configuration={}))
    await call(
        client.set_tenant_home_dashboard_info,
        HomeDashboardInfo(dashboard_id=saved.id, hide_dashboard_toolbar=False),
    )
    info = await call(client.get_home_dashboard_info)
    assert info.dashboard_id.id == saved.id.id and info.hide_dashboard_toolbar is False
    tenant_info = await call(client.get_tenant_home_dashboard_info)
    assert tenant_info.dashboard_id.id == saved.id.id
    home = await call(client.get_home_dashboard)
    assert home.title == "Wall" and home.hide_dashboard_toolbar is False

    # Shared publicly over REST, then the client's public login reads it.
    token = client.configuration.api_key["X-Authorization"]
    admin = platform.client(token)
    shared = await admin.post(f"/api/customer/public/dashboard/{saved.id.id}")
    assert shared.status_code == 200, shared.text
    (public,) = shared.json()["assignedCustomers"]
    viewer = RestClient(client.base_url)
    try:
        await call(viewer.public_login, public["customerId"]["id"])
        read = await call(viewer.get_dashboard_by_id, saved.id)
        assert read.title == "Wall"
    finally:
        if viewer.api_client is not None:
            viewer.api_client.rest_client.pool_manager.clear()
