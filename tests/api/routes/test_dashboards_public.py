"""Public dashboards (spec platform-api §3.1, §3.3): share with the tenant's public customer,
log in with its public id, read that dashboard and the public entities, write nothing."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import orjson

from industryos.api.routes import entity_query
from industryos.entities.query import EntityQueryService
from tests.api.conftest import Platform, ok

Json = dict[str, Any]


async def _public_login(platform: Platform, public_id: str) -> httpx.Response:
    return await platform.client().post("/api/auth/login/public", json={"publicId": public_id})


def _claims(token: str) -> Json:
    payload = token.split(".")[1]
    claims: Json = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


async def _make_public(admin: httpx.AsyncClient, dashboard_id: str) -> str:
    shared = await ok(await admin.post(f"/api/customer/public/dashboard/{dashboard_id}"))
    (public,) = [c for c in shared["assignedCustomers"] if c["public"]]
    assert public["title"] == "Public"
    return str(public["customerId"]["id"])


async def test_make_public_creates_one_public_customer_and_is_idempotent(
    platform: Platform,
) -> None:
    a = await platform.new_tenant("A")
    first = await ok(await a.admin.post("/api/dashboard", json={"title": "Wall"}))
    second = await ok(await a.admin.post("/api/dashboard", json={"title": "Lobby"}))
    public_id = await _make_public(a.admin, first["id"]["id"])
    assert await _make_public(a.admin, first["id"]["id"]) == public_id
    assert await _make_public(a.admin, second["id"]["id"]) == public_id
    customer = await ok(await a.admin.get(f"/api/customer/{public_id}"))
    assert customer["title"] == "Public"
    assert customer["additionalInfo"] == {"isPublic": True}
    short = await ok(await a.admin.get(f"/api/customer/{public_id}/shortInfo"))
    assert short["isPublic"] is True

    unshared = await ok(await a.admin.delete(f"/api/customer/public/dashboard/{first['id']['id']}"))
    assert unshared["assignedCustomers"] == []
    again = await ok(await a.admin.delete(f"/api/customer/public/dashboard/{first['id']['id']}"))
    assert again["assignedCustomers"] == []


async def test_public_login_reads_only_the_public_dashboard_and_entities(
    platform: Platform,
) -> None:
    entity_query.install(
        platform.app, EntityQueryService(platform.core.db, platform.core.timeseries.keys)
    )
    a = await platform.new_tenant("A")
    shown = await ok(await a.admin.post("/api/dashboard", json={"title": "Wall"}))
    hidden = await ok(await a.admin.post("/api/dashboard", json={"title": "Private"}))
    public_id = await _make_public(a.admin, shown["id"]["id"])
    public_device = await ok(await a.admin.post("/api/device", json={"name": "Lobby sensor"}))
    private_device = await ok(await a.admin.post("/api/device", json={"name": "Vault sensor"}))
    await ok(await a.admin.post(f"/api/customer/{public_id}/device/{public_device['id']['id']}"))

    pair = await ok(await _public_login(platform, public_id))
    claims = _claims(pair["token"])
    assert claims["isPublic"] is True
    assert claims["sub"] == public_id
    assert claims["scopes"] == ["CUSTOMER_USER"]
    assert claims["customerId"] == public_id and claims["tenantId"] == a.tenant_id
    viewer = platform.client(pair["token"])

    assert (await ok(await viewer.get(f"/api/dashboard/{shown['id']['id']}")))["title"] == "Wall"
    me = await ok(await viewer.get("/api/auth/user"))
    assert me["authority"] == "CUSTOMER_USER" and me["customerId"]["id"] == public_id
    assert me["additionalInfo"] == {"isPublic": True} and me["firstName"] == "Public"
    assert (await viewer.get(f"/api/dashboard/{hidden['id']['id']}")).status_code == 403
    assert (await viewer.get(f"/api/device/{public_device['id']['id']}")).status_code == 200
    assert (await viewer.get(f"/api/device/{private_device['id']['id']}")).status_code == 403
    found = await ok(
        await viewer.post(
            "/api/entitiesQuery/find",
            json={
                "entityFilter": {"type": "entityType", "entityType": "DEVICE"},
                "pageLink": {"page": 0, "pageSize": 10},
                "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
            },
        )
    )
    names = [e["latest"]["ENTITY_FIELD"]["name"]["value"] for e in found["data"]]
    assert names == ["Lobby sensor"]

    # Read-only: no writes, not even on what it can see.
    device_id = public_device["id"]["id"]
    writes: list[tuple[str, str, Any]] = [
        ("POST", "/api/dashboard", {**shown, "title": "defaced"}),
        ("POST", "/api/device", {**public_device, "label": "defaced"}),
        ("POST", f"/api/plugins/telemetry/DEVICE/{device_id}/SHARED_SCOPE", {"x": 1}),
        ("DELETE", f"/api/customer/public/dashboard/{shown['id']['id']}", None),
    ]
    for method, path, body in writes:
        response = await viewer.request(method, path, json=body)
        assert response.status_code == 403, (path, response.text)
    # A customer user of the same customer could update the device; the public one cannot.
    device = await ok(await a.admin.get(f"/api/device/{device_id}"))
    assert device["label"] is None
    assert (await ok(await a.admin.get(f"/api/dashboard/{shown['id']['id']}")))["title"] == "Wall"

    refreshed = await ok(
        await platform.client().post("/api/auth/token", json={"refreshToken": pair["refreshToken"]})
    )
    assert _claims(refreshed["token"])["sessionId"] == claims["sessionId"]
    again = platform.client(refreshed["token"])
    assert (await again.get(f"/api/dashboard/{shown['id']['id']}")).status_code == 200

    # Made private again: the public id still logs in, but the dashboard is no longer its.
    await ok(await a.admin.delete(f"/api/customer/public/dashboard/{shown['id']['id']}"))
    assert (await again.get(f"/api/dashboard/{shown['id']['id']}")).status_code == 403


async def test_public_ids_of_other_customers_and_tenants_are_refused(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    a_dashboard = await ok(await a.admin.post("/api/dashboard", json={"title": "A wall"}))
    b_dashboard = await ok(await b.admin.post("/api/dashboard", json={"title": "B wall"}))
    await _make_public(a.admin, a_dashboard["id"]["id"])
    b_public = await _make_public(b.admin, b_dashboard["id"]["id"])

    for not_public in (a.customer_id, a.tenant_id, str(uuid.uuid4())):
        response = await _public_login(platform, not_public)
        assert response.status_code == 401, response.text
    assert (await _public_login(platform, "not-a-uuid")).status_code == 400

    b_viewer = platform.client((await ok(await _public_login(platform, b_public)))["token"])
    assert (await b_viewer.get(f"/api/dashboard/{a_dashboard['id']['id']}")).status_code == 403
    assert (await b_viewer.get(f"/api/dashboard/{b_dashboard['id']['id']}")).status_code == 200
    # Nothing else of tenant A either, not even what A made public.
    a_public = await _make_public(a.admin, a_dashboard["id"]["id"])
    a_device = await ok(await a.admin.post("/api/device", json={"name": "A public sensor"}))
    device_id = a_device["id"]["id"]
    await ok(await a.admin.post(f"/api/customer/{a_public}/device/{device_id}"))
    telemetry = f"/api/plugins/telemetry/DEVICE/{device_id}"
    page = "pageSize=10&page=0"
    for path in (
        f"/api/device/{device_id}",
        f"{telemetry}/values/timeseries?keys=temperature",
        f"{telemetry}/values/attributes",
        f"{telemetry}/keys/timeseries",
        f"/api/alarm/DEVICE/{device_id}?{page}",
        f"/api/customer/{a_public}",
        f"/api/customer/{a_public}/devices?{page}",
        f"/api/customer/{a_public}/dashboards?{page}",
        f"/api/tenant/devices?{page}",
        f"/api/tenant/dashboards?{page}",
    ):
        response = await b_viewer.get(path)
        refused = response.status_code in (403, 404)
        empty_list = response.status_code == 200 and response.json().get("data") == []
        assert refused or empty_list, (path, response.status_code, response.text)
    # Tenant B's admin can neither publish nor unpublish A's dashboard.
    for request in (b.admin.post, b.admin.delete):
        response = await request(f"/api/customer/public/dashboard/{a_dashboard['id']['id']}")
        assert response.status_code == 403
    # A customer user cannot publish either.
    shared = f"/api/customer/{a.customer_id}/dashboard/{a_dashboard['id']['id']}"
    await ok(await a.admin.post(shared))
    response = await a.customer_user.post(
        f"/api/customer/public/dashboard/{a_dashboard['id']['id']}"
    )
    assert response.status_code == 403


async def test_public_token_stops_working_when_the_customer_is_deleted(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    shown = await ok(await a.admin.post("/api/dashboard", json={"title": "Wall"}))
    public_id = await _make_public(a.admin, shown["id"]["id"])
    pair = await ok(await _public_login(platform, public_id))
    viewer = platform.client(pair["token"])
    assert (await viewer.get(f"/api/dashboard/{shown['id']['id']}")).status_code == 200
    await ok(await a.admin.delete(f"/api/customer/{public_id}"))
    assert (await viewer.get(f"/api/dashboard/{shown['id']['id']}")).status_code == 401
    refresh = await platform.client().post(
        "/api/auth/token", json={"refreshToken": pair["refreshToken"]}
    )
    assert refresh.status_code == 401
