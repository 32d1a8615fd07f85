"""Audit log REST: what writes leave behind, the filters, time bounds and tenant isolation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from tests.api.checks import PAGE, assert_error, create
from tests.api.conftest import Platform


async def entries(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(path, params={**PAGE, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_writes_are_audited_and_filterable(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    device = await create(a.admin, "/api/device", name="Audited")
    device_id = device["id"]["id"]
    await a.admin.post("/api/device", json={**device, "label": "x"})
    await a.admin.post(f"/api/customer/{a.customer_id}/device/{device_id}")
    await a.admin.get(f"/api/device/{device_id}/credentials")
    asset = await create(a.admin, "/api/asset", name="Site")
    await a.admin.delete(f"/api/asset/{asset['id']['id']}")
    await create(b.admin, "/api/device", name="Elsewhere")

    logs = await entries(a.admin, "/api/audit/logs", sortProperty="createdTime", sortOrder="ASC")
    actions = [(e["entityName"], e["actionType"]) for e in logs]
    for expected in [
        ("Audited", "ADDED"),
        ("Audited", "UPDATED"),
        ("Audited", "ASSIGNED_TO_CUSTOMER"),
        ("Audited", "CREDENTIALS_READ"),
        ("Site", "ADDED"),
        ("Site", "DELETED"),
    ]:
        assert expected in actions
    assert ("Elsewhere", "ADDED") not in actions
    entry = next(e for e in logs if e["actionType"] == "ADDED" and e["entityName"] == "Audited")
    assert entry["entityId"] == {"entityType": "DEVICE", "id": device_id}
    assert entry["actionStatus"] == "SUCCESS"
    assert entry["tenantId"]["id"] == a.tenant_id
    assert "id" in entry["id"]
    assert entry["userName"].startswith("admin-")

    by_entity = await entries(a.admin, f"/api/audit/logs/entity/DEVICE/{device_id}")
    assert {e["actionType"] for e in by_entity} == {
        "ADDED",
        "UPDATED",
        "ASSIGNED_TO_CUSTOMER",
        "CREDENTIALS_READ",
    }
    only = await entries(
        a.admin, f"/api/audit/logs/entity/DEVICE/{device_id}", actionTypes="ADDED, updated"
    )
    assert sorted(e["actionType"] for e in only) == ["ADDED", "UPDATED"]
    by_customer = await entries(a.admin, f"/api/audit/logs/customer/{a.customer_id}")
    assert {e["entityName"] for e in by_customer} >= {"Audited", "A Customer"}
    assert all(e["customerId"]["id"] == a.customer_id for e in by_customer)
    admin_user = (await a.admin.get("/api/auth/user")).json()
    by_user = await entries(a.admin, f"/api/audit/logs/user/{admin_user['id']['id']}")
    # every entry of the tenant but the customer user's own sign-in
    assert len(by_user) == len([e for e in logs if e["userId"]["id"] == admin_user["id"]["id"]])
    assert {e["actionType"] for e in logs if e not in by_user} == {"LOGIN"}
    b_user = (await b.admin.get("/api/auth/user")).json()
    assert await entries(a.admin, f"/api/audit/logs/user/{b_user['id']['id']}") == []

    paged = await a.admin.get("/api/audit/logs", params={"pageSize": 2, "page": 0})
    assert paged.json()["totalElements"] == len(logs)
    assert paged.json()["hasNext"] is True
    newest_first = await entries(
        a.admin, "/api/audit/logs", sortProperty="createdTime", sortOrder="DESC"
    )
    times = [e["createdTime"] for e in newest_first]
    assert times == sorted(times, reverse=True)


async def test_time_bounds(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    first = await create(admin, "/api/device", name="Early")
    early = await entries(admin, f"/api/audit/logs/entity/DEVICE/{first['id']['id']}")
    created = early[0]["createdTime"]
    after = await entries(admin, "/api/audit/logs", startTime=created + 1)
    assert all(e["createdTime"] > created for e in after)
    assert "Early" not in {e["entityName"] for e in after}
    window = await entries(admin, "/api/audit/logs", startTime=created, endTime=created)
    assert "Early" in {e["entityName"] for e in window}
    assert await entries(admin, "/api/audit/logs", endTime=0) == []


async def test_permissions_and_bad_input(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    sysadmin = await platform.sysadmin()
    assert_error(await a.customer_user.get("/api/audit/logs", params=PAGE), 403, 20)
    assert_error(
        await a.customer_user.get(f"/api/audit/logs/customer/{a.customer_id}", params=PAGE),
        403,
        20,
    )
    assert_error(await sysadmin.get("/api/audit/logs", params=PAGE), 403, 20)
    assert_error(await platform.client().get("/api/audit/logs", params=PAGE), 401, 10)
    bad: list[tuple[str, Mapping[str, str | int]]] = [
        ("/api/audit/logs", {**PAGE, "actionTypes": "ADDED,EXPLODED"}),
        ("/api/audit/logs", {**PAGE, "sortOrder": "sometimes"}),
        ("/api/audit/logs", {**PAGE, "startTime": "yesterday"}),
        ("/api/audit/logs", {"pageSize": 10**6, "page": 0}),
        ("/api/audit/logs", {"page": 0}),
        ("/api/audit/logs/customer/nope", PAGE),
        (f"/api/audit/logs/entity/GADGET/{uuid.uuid4()}", PAGE),
        ("/api/audit/logs/entity/DEVICE/nope", PAGE),
    ]
    for path, params in bad:
        assert_error(await a.admin.get(path, params=params), 400, 31)
