"""Dashboard REST (spec platform-api §3.3): CRUD, infos, paging, sharing, customer reads."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa

from industryos.entities.dashboard_schema import dashboard_customer
from tests.api.conftest import Platform

Json = dict[str, Any]

CONFIGURATION: Json = {
    "widgets": {
        "w1": {
            "typeFullFqn": "system.cards.value_card",
            "sizeX": 4,
            "sizeY": 3,
            "config": {
                "title": "Temperature",
                "datasources": [
                    {
                        "type": "entity",
                        "entityAliasId": "a1",
                        "dataKeys": [{"name": "temperature", "type": "timeseries", "label": "T"}],
                    }
                ],
            },
        }
    },
    "states": {
        "default": {
            "name": "Plant",
            "root": True,
            "layouts": {"main": {"widgets": {"w1": {"row": 0, "col": 0, "sizeX": 4, "sizeY": 3}}}},
        }
    },
    "entityAliases": {
        "a1": {
            "id": "a1",
            "alias": "Boiler",
            "filter": {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": "x"}},
        }
    },
    "timewindow": {"realtime": {"timewindowMs": 60000}},
    "settings": {"showTitle": True, "unicode": "°C ✓"},
}


async def _create(admin: httpx.AsyncClient, title: str, **extra: Any) -> Json:
    response = await admin.post("/api/dashboard", json={"title": title, **extra})
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def test_create_read_update_delete_round_trips_configuration(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    created = await _create(a.admin, "Boiler room", configuration=CONFIGURATION)
    assert created["id"]["entityType"] == "DASHBOARD"
    assert created["tenantId"] == {"entityType": "TENANT", "id": a.tenant_id}
    assert created["name"] == "Boiler room" and created["version"] == 1
    assert created["assignedCustomers"] == []
    dashboard_id = created["id"]["id"]

    read = (await a.admin.get(f"/api/dashboard/{dashboard_id}")).json()
    assert read["configuration"] == CONFIGURATION
    info = (await a.admin.get(f"/api/dashboard/info/{dashboard_id}")).json()
    assert "configuration" not in info and info["title"] == "Boiler room"

    read["title"] = "Boiler room 2"
    updated = (await a.admin.post("/api/dashboard", json=read)).json()
    assert updated["version"] == 2 and updated["name"] == "Boiler room 2"
    stale = await a.admin.post("/api/dashboard", json=read)
    assert stale.status_code == 409 and stale.json()["errorCode"] == 35

    assert (await a.admin.delete(f"/api/dashboard/{dashboard_id}")).status_code == 200
    missing = await a.admin.get(f"/api/dashboard/{dashboard_id}")
    assert missing.status_code == 404 and missing.json()["errorCode"] == 32


async def test_tenant_list_pages_searches_and_sorts_infos(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    for title in ("Line 2", "line 1", "Boiler"):
        await _create(a.admin, title, configuration=CONFIGURATION)
    page = (
        await a.admin.get(
            "/api/tenant/dashboards",
            params={"pageSize": 2, "page": 0, "sortProperty": "title", "sortOrder": "DESC"},
        )
    ).json()
    assert [d["title"] for d in page["data"]] == ["line 1", "Line 2"]
    assert page["totalElements"] == 3 and page["totalPages"] == 2 and page["hasNext"] is True
    assert all("configuration" not in d for d in page["data"])
    found = (
        await a.admin.get(
            "/api/tenant/dashboards", params={"pageSize": 10, "page": 0, "textSearch": "LINE"}
        )
    ).json()
    assert sorted(d["title"] for d in found["data"]) == ["Line 2", "line 1"]
    bad = await a.admin.get(
        "/api/tenant/dashboards", params={"pageSize": 10, "page": 0, "sortOrder": "UP"}
    )
    assert bad.status_code == 400


async def test_sharing_with_customers_and_customer_user_reads_only(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    shared = await _create(a.admin, "Shared", configuration=CONFIGURATION)
    private = await _create(a.admin, "Private")
    shared_id = shared["id"]["id"]

    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/dashboard/{shared_id}")
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignedCustomers"] == [
        {
            "customerId": {"entityType": "CUSTOMER", "id": a.customer_id},
            "title": "A Customer",
            "public": False,
        }
    ]
    again = await a.admin.post(f"/api/customer/{a.customer_id}/dashboard/{shared_id}")
    assert again.status_code == 400

    listed = (
        await a.customer_user.get(
            f"/api/customer/{a.customer_id}/dashboards", params={"pageSize": 10, "page": 0}
        )
    ).json()
    assert [d["title"] for d in listed["data"]] == ["Shared"]
    read = await a.customer_user.get(f"/api/dashboard/{shared_id}")
    assert read.status_code == 200 and read.json()["configuration"] == CONFIGURATION
    hidden = await a.customer_user.get(f"/api/dashboard/{private['id']['id']}")
    assert hidden.status_code == 403
    tenant_list = await a.customer_user.get(
        "/api/tenant/dashboards", params={"pageSize": 10, "page": 0}
    )
    assert tenant_list.status_code == 403
    write = await a.customer_user.post("/api/dashboard", json={**read.json(), "title": "x"})
    assert write.status_code == 403
    assert (await a.customer_user.delete(f"/api/dashboard/{shared_id}")).status_code == 403

    unassigned = await a.admin.delete(f"/api/customer/{a.customer_id}/dashboard/{shared_id}")
    assert unassigned.status_code == 200 and unassigned.json()["assignedCustomers"] == []
    assert (await a.customer_user.get(f"/api/dashboard/{shared_id}")).status_code == 403
    twice = await a.admin.delete(f"/api/customer/{a.customer_id}/dashboard/{shared_id}")
    assert twice.status_code == 400


async def test_other_tenant_cannot_reach_or_share(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    dashboard_id = (await _create(a.admin, "A only"))["id"]["id"]
    assert (await b.admin.get(f"/api/dashboard/{dashboard_id}")).status_code == 403
    cross = await a.admin.post(f"/api/customer/{b.customer_id}/dashboard/{dashboard_id}")
    assert cross.status_code == 403
    listed = (
        await b.admin.get("/api/tenant/dashboards", params={"pageSize": 10, "page": 0})
    ).json()
    assert listed["data"] == []


async def test_server_time_and_audit(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    server_time = (await a.admin.get("/api/dashboard/serverTime")).json()
    assert isinstance(server_time, int) and server_time > 1_600_000_000_000
    created = await _create(a.admin, "Audited")
    logs = (
        await a.admin.get(
            f"/api/audit/logs/entity/DASHBOARD/{created['id']['id']}",
            params={"pageSize": 10, "page": 0},
        )
    ).json()
    assert [entry["actionType"] for entry in logs["data"]] == ["ADDED"]


async def test_customer_set_replace_add_and_remove(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    second = (await a.admin.post("/api/customer", json={"title": "B Second"})).json()["id"]["id"]
    dashboard_id = (await _create(a.admin, "Shared set"))["id"]["id"]
    base = f"/api/dashboard/{dashboard_id}/customers"

    def shared(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [c["title"] for c in response.json()["assignedCustomers"]]

    assert shared(await a.admin.post(base, json=[a.customer_id, second])) == [
        "A Customer",
        "B Second",
    ]
    assert shared(await a.admin.post(f"{base}/remove", json=[a.customer_id])) == ["B Second"]
    assert shared(await a.admin.post(f"{base}/add", json=[a.customer_id, second])) == [
        "A Customer",
        "B Second",
    ]
    assert shared(await a.admin.post(base, json=[])) == []
    bad = await a.admin.post(base, json=["not-a-uuid"])
    assert bad.status_code == 400
    missing = await a.admin.post(base, json=[str(uuid.uuid4())])
    assert missing.status_code == 404


async def test_deleting_a_customer_stops_sharing(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    doomed = (await a.admin.post("/api/customer", json={"title": "Doomed"})).json()["id"]["id"]
    dashboard_id = (await _create(a.admin, "Kept"))["id"]["id"]
    shared = await a.admin.post(f"/api/dashboard/{dashboard_id}/customers", json=[doomed])
    assert [c["title"] for c in shared.json()["assignedCustomers"]] == ["Doomed"]
    assert (await a.admin.delete(f"/api/customer/{doomed}")).status_code == 200
    kept = (await a.admin.get(f"/api/dashboard/{dashboard_id}")).json()
    assert kept["assignedCustomers"] == []
    async with platform.core.db.read() as conn:
        links = (await conn.execute(sa.select(dashboard_customer))).all()
    assert links == []  # the link went with the customer, not just out of sight
