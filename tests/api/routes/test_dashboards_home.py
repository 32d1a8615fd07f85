"""Home dashboards: ``/api/dashboard/home[/info]`` and the tenant's and customer's choice."""

from __future__ import annotations

import uuid

from tests.api.conftest import Platform, ok


async def test_nothing_set_answers_null(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    for client in (a.admin, a.customer_user):
        assert await ok(await client.get("/api/dashboard/home")) is None
        assert await ok(await client.get("/api/dashboard/home/info")) is None
    assert await ok(await a.admin.get("/api/tenant/dashboard/home/info")) is None


async def test_tenant_home_then_customer_home_overrides_for_its_users(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    wall = await ok(await a.admin.post("/api/dashboard", json={"title": "Wall"}))
    mine = await ok(await a.admin.post("/api/dashboard", json={"title": "Customer's"}))
    wall_id, mine_id = wall["id"]["id"], mine["id"]["id"]

    info = {
        "dashboardId": {"entityType": "DASHBOARD", "id": wall_id},
        "hideDashboardToolbar": False,
    }
    await ok(await a.admin.post("/api/tenant/dashboard/home/info", json=info))
    assert await ok(await a.admin.get("/api/tenant/dashboard/home/info")) == info
    assert await ok(await a.admin.get("/api/dashboard/home/info")) == info
    home = await ok(await a.admin.get("/api/dashboard/home"))
    assert home["title"] == "Wall" and home["hideDashboardToolbar"] is False
    assert "configuration" in home

    # The customer user falls back to the tenant's only when it may read that dashboard.
    assert await ok(await a.customer_user.get("/api/dashboard/home/info")) is None
    await ok(await a.admin.post(f"/api/customer/{a.customer_id}/dashboard/{wall_id}"))
    assert await ok(await a.customer_user.get("/api/dashboard/home/info")) == info

    await ok(await a.admin.post(f"/api/customer/{a.customer_id}/dashboard/{mine_id}"))
    own = {"dashboardId": {"entityType": "DASHBOARD", "id": mine_id}, "hideDashboardToolbar": True}
    await ok(await a.customer_user.post("/api/customer/dashboard/home/info", json=own))
    assert await ok(await a.customer_user.get("/api/customer/dashboard/home/info")) == own
    home = await ok(await a.customer_user.get("/api/dashboard/home"))
    assert home["title"] == "Customer's" and home["hideDashboardToolbar"] is True

    # Clearing the tenant's choice; a deleted dashboard is skipped as if not set.
    await ok(await a.admin.post("/api/tenant/dashboard/home/info", json={"dashboardId": None}))
    assert await ok(await a.admin.get("/api/dashboard/home")) is None
    await ok(await a.admin.delete(f"/api/dashboard/{mine_id}"))
    assert await ok(await a.customer_user.get("/api/dashboard/home")) is None


async def test_only_own_dashboards_can_be_home(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    theirs = await ok(await b.admin.post("/api/dashboard", json={"title": "B's"}))
    info = {"dashboardId": {"entityType": "DASHBOARD", "id": theirs["id"]["id"]}}
    assert (await a.admin.post("/api/tenant/dashboard/home/info", json=info)).status_code == 403
    # A customer user may only choose a dashboard shared with it, and never the tenant's.
    ours = await ok(await a.admin.post("/api/dashboard", json={"title": "A's"}))
    info = {"dashboardId": {"entityType": "DASHBOARD", "id": ours["id"]["id"]}}
    for path in ("/api/customer/dashboard/home/info", "/api/tenant/dashboard/home/info"):
        assert (await a.customer_user.post(path, json=info)).status_code == 403
    assert (await a.admin.post("/api/customer/dashboard/home/info", json=info)).status_code == 403
    assert await ok(await a.admin.get("/api/tenant/dashboard/home/info")) is None
    # Bad input is a clear 400; an unknown dashboard a 404; nothing is stored.
    path = "/api/tenant/dashboard/home/info"
    bad = await a.admin.post(path, json={"dashboardId": {"id": "not-a-uuid"}})
    assert bad.status_code == 400 and bad.json()["errorCode"] == 31, bad.text
    missing = {"dashboardId": {"entityType": "DASHBOARD", "id": str(uuid.uuid4())}}
    assert (await a.admin.post(path, json=missing)).status_code == 404
    assert await ok(await a.admin.get(path)) is None


async def test_a_users_own_home_dashboard_comes_first(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    wall = await ok(await a.admin.post("/api/dashboard", json={"title": "Wall"}))
    own = await ok(await a.admin.post("/api/dashboard", json={"title": "Mine"}))
    tenant_info = {"dashboardId": wall["id"], "hideDashboardToolbar": True}
    await ok(await a.admin.post("/api/tenant/dashboard/home/info", json=tenant_info))
    me = await ok(await a.admin.get("/api/auth/user"))
    me["additionalInfo"] = {"homeDashboardId": own["id"]["id"], "homeDashboardHideToolbar": False}
    await ok(await a.admin.post("/api/user", json=me))
    info = await ok(await a.admin.get("/api/dashboard/home/info"))
    assert info == {"dashboardId": own["id"], "hideDashboardToolbar": False}
    # The tenant's choice is unchanged and is what others of the tenant get.
    assert await ok(await a.admin.get("/api/tenant/dashboard/home/info")) == tenant_info
