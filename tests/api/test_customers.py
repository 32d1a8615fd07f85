"""Customer REST: CRUD, lookups, paging, delete cascade, permissions and bad input."""

from __future__ import annotations

import uuid

from tests.api.checks import JSON, NULL_UUID, PAGE, assert_error, create, total
from tests.api.conftest import Platform


async def test_crud_lookups_and_paging(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for i in range(4):
        await create(admin, "/api/customer", title=f"C{i}", email=f"c{i}@x.test")
    # "A Customer" from the fixture comes first: 5 customers.
    page = (await admin.get("/api/customers", params={"pageSize": 2, "page": 1})).json()
    assert [c["title"] for c in page["data"]] == ["C1", "C2"]
    assert page["totalPages"] == 3
    assert page["totalElements"] == 5
    assert page["hasNext"] is True
    desc = await admin.get(
        "/api/customers",
        params={"pageSize": 1, "page": 0, "sortProperty": "title", "sortOrder": "DESC"},
    )
    assert desc.json()["data"][0]["name"] == "C3"
    assert [
        c["title"]
        for c in (await admin.get("/api/customers", params={**PAGE, "textSearch": "c2"})).json()[
            "data"
        ]
    ] == ["C2"]
    c2 = (await admin.get("/api/tenant/customers", params={"customerTitle": "C2"})).json()
    assert c2["email"] == "c2@x.test"
    assert c2["id"]["entityType"] == "CUSTOMER"
    c2_id = c2["id"]["id"]
    assert (await admin.get(f"/api/customer/{c2_id}/title")).text.strip('"') == "C2"
    assert (await admin.get(f"/api/customer/{c2_id}/shortInfo")).json() == {
        "title": "C2",
        "isPublic": False,
    }
    listed = await admin.get(
        "/api/customers/list", params={"customerIds": f"{c2_id},{uuid.uuid4()}"}
    )
    assert [c["title"] for c in listed.json()] == ["C2"]
    assert_error(
        await admin.get("/api/tenant/customers", params={"customerTitle": "none"}), 404, 32
    )

    updated = await admin.post("/api/customer", json={**c2, "city": "Oslo"})
    assert updated.json()["version"] == c2["version"] + 1
    assert_error(await admin.post("/api/customer", json={**c2, "city": "Rome"}), 409, 35)
    assert_error(await admin.post("/api/customer", json={"title": "C1"}), 400, 31)
    assert_error(await admin.post("/api/customer", json={**updated.json(), "title": "C1"}), 400, 31)
    assert_error(await admin.get("/api/customers", params={**PAGE, "sortOrder": "upward"}), 400, 31)
    assert_error(await admin.get(f"/api/customer/{uuid.uuid4()}"), 404, 32)
    assert_error(await admin.get("/api/customer/nope"), 400, 31)


async def test_delete_returns_devices_and_assets_and_removes_users(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await create(a.admin, "/api/device", name="D")
    asset = await create(a.admin, "/api/asset", name="S")
    await a.admin.post(f"/api/customer/{a.customer_id}/device/{device['id']['id']}")
    await a.admin.post(f"/api/customer/{a.customer_id}/asset/{asset['id']['id']}")
    assert await total(a.admin, f"/api/customer/{a.customer_id}/users") == 1
    assert (await a.admin.delete(f"/api/customer/{a.customer_id}")).status_code == 200
    assert_error(await a.admin.get(f"/api/customer/{a.customer_id}"), 404, 32)
    stored_device = (await a.admin.get(f"/api/device/{device['id']['id']}")).json()
    assert stored_device["customerId"]["id"] == NULL_UUID
    stored_asset = (await a.admin.get(f"/api/asset/{asset['id']['id']}")).json()
    assert stored_asset["customerId"]["id"] == NULL_UUID
    # The customer's user is gone: its token no longer works.
    assert_error(await a.customer_user.get("/api/auth/user"), 401, 10)
    assert await total(a.admin, "/api/users") == 1
    assert_error(await a.admin.delete(f"/api/customer/{a.customer_id}"), 404, 32)


async def test_permissions(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    other = await create(a.admin, "/api/customer", title="Other")
    assert (await a.customer_user.get(f"/api/customer/{a.customer_id}")).status_code == 200
    assert_error(await a.customer_user.get(f"/api/customer/{other['id']['id']}"), 403, 20)
    assert_error(await a.customer_user.get("/api/customers", params=PAGE), 403, 20)
    assert_error(await a.customer_user.post("/api/customer", json={"title": "Mine"}), 403, 20)
    assert_error(await a.customer_user.delete(f"/api/customer/{a.customer_id}"), 403, 20)
    assert_error(await b.admin.get(f"/api/customer/{a.customer_id}"), 403, 20)
    assert_error(await b.admin.delete(f"/api/customer/{a.customer_id}"), 403, 20)
    assert_error(
        await b.admin.post("/api/customer", json={"id": {"id": a.customer_id}, "title": "Stolen"}),
        403,
        20,
    )
    stolen = await b.admin.get("/api/customers/list", params={"customerIds": a.customer_id})
    assert stolen.json() == []
    sysadmin = await platform.sysadmin()
    assert_error(await sysadmin.get("/api/customers", params=PAGE), 403, 20)
    # Another tenant may use the same title.
    await create(b.admin, "/api/customer", title="Other")


async def test_malformed_customers_are_400_and_write_nothing(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for body in (
        '{"title": "x"',
        "[]",
        "{}",
        '{"title": ""}',
        '{"title": 12}',
        '{"title": "x", "id": {"id": "1-2-3"}}',
        '{"title": "x", "email": ["a"]}',
    ):
        assert_error(await admin.post("/api/customer", content=body, headers=JSON), 400, 31)
    assert await total(admin, "/api/customers") == 1
    assert_error(await admin.get("/api/customers", params={"pageSize": 10**4, "page": 0}), 400, 31)
    assert_error(await admin.get("/api/customers/list", params={"customerIds": "x,y"}), 400, 31)
