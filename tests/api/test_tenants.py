"""Tenant and tenant profile REST (sysadmin): CRUD, defaults, deletion rules, permissions."""

from __future__ import annotations

import uuid

from tests.api.checks import JSON, PAGE, assert_error, create, total
from tests.api.conftest import Platform


async def test_tenant_crud_paging_and_cascade(platform: Platform) -> None:
    sysadmin = await platform.sysadmin()
    for i in range(5):
        await create(sysadmin, "/api/tenant", title=f"T{i}", city="Berlin" if i == 3 else None)
    page = (await sysadmin.get("/api/tenants", params={"pageSize": 2, "page": 1})).json()
    assert [t["title"] for t in page["data"]] == ["T2", "T3"]
    assert page["totalPages"] == 3
    assert page["hasNext"] is True
    desc = await sysadmin.get(
        "/api/tenants",
        params={"pageSize": 1, "page": 0, "sortProperty": "title", "sortOrder": "DESC"},
    )
    assert desc.json()["data"][0]["name"] == "T4"
    search = await sysadmin.get("/api/tenantInfos", params={**PAGE, "textSearch": "t3"})
    info = search.json()["data"][0]
    assert info["title"] == "T3"
    assert info["city"] == "Berlin"
    assert info["tenantProfileName"] == "Default"
    tenant = (await sysadmin.get(f"/api/tenant/{info['id']['id']}")).json()
    updated = await sysadmin.post("/api/tenant", json={**tenant, "region": "EU"})
    assert updated.json()["region"] == "EU"
    assert updated.json()["version"] == tenant["version"] + 1
    assert_error(await sysadmin.post("/api/tenant", json={**tenant, "region": "US"}), 409, 35)
    assert_error(await sysadmin.get(f"/api/tenant/{uuid.uuid4()}"), 404, 32)
    assert_error(await sysadmin.get("/api/tenant/info/nope"), 400, 31)

    # A tenant with content is deleted with everything it owns.
    a = await platform.new_tenant("A")
    await create(a.admin, "/api/device", name="D")
    await create(a.admin, "/api/asset", name="S")
    assert (await sysadmin.delete(f"/api/tenant/{a.tenant_id}")).status_code == 200
    assert_error(await sysadmin.get(f"/api/tenant/{a.tenant_id}"), 404, 32)
    assert await total(sysadmin, "/api/tenants") == 5
    for body in ('{"title": ', "{}", '{"title": 1}', '{"title": "x", "tenantProfileId": "q"}'):
        assert_error(await sysadmin.post("/api/tenant", content=body, headers=JSON), 400, 31)
    missing_profile = await sysadmin.post(
        "/api/tenant", json={"title": "x", "tenantProfileId": {"id": str(uuid.uuid4())}}
    )
    assert_error(missing_profile, 400, 31)
    assert await total(sysadmin, "/api/tenants") == 5


async def test_tenant_permissions(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    assert (await a.admin.get(f"/api/tenant/{a.tenant_id}")).status_code == 200
    assert_error(await a.admin.get(f"/api/tenant/{b.tenant_id}"), 403, 20)
    assert_error(await a.admin.get("/api/tenants", params=PAGE), 403, 20)
    assert_error(await a.admin.post("/api/tenant", json={"title": "Mine"}), 403, 20)
    assert_error(await a.admin.delete(f"/api/tenant/{b.tenant_id}"), 403, 20)
    assert_error(await a.customer_user.get("/api/tenantInfos", params=PAGE), 403, 20)


async def test_tenant_admin_reads_but_does_not_save_its_tenant(platform: Platform) -> None:
    """ThingsBoard's least privilege: read your own tenant, save none, customers read none."""
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    info = await a.admin.get(f"/api/tenant/info/{a.tenant_id}")
    assert info.status_code == 200
    own = info.json()
    assert own["title"] == "A"
    assert own["tenantProfileName"] == "Default"
    assert_error(await a.admin.get(f"/api/tenant/info/{b.tenant_id}"), 403, 20)
    renamed = await a.admin.post("/api/tenant", json={**own, "title": "A renamed", "phone": "+1"})
    assert_error(renamed, 403, 20)
    sysadmin = await platform.sysadmin()
    assert (await sysadmin.get(f"/api/tenant/{a.tenant_id}")).json()["title"] == "A"
    assert_error(await a.customer_user.get(f"/api/tenant/{a.tenant_id}"), 403, 20)
    assert_error(await a.customer_user.get(f"/api/tenant/info/{a.tenant_id}"), 403, 20)


async def test_tenant_profiles(platform: Platform) -> None:
    sysadmin = await platform.sysadmin()
    a = await platform.new_tenant("A")
    default = (await sysadmin.get("/api/tenantProfileInfo/default")).json()
    assert default["name"] == "Default"
    assert default["id"]["entityType"] == "TENANT_PROFILE"
    default_id = default["id"]["id"]
    profile = await create(
        sysadmin,
        "/api/tenantProfile",
        name="Gold",
        description="more",
        isolatedTbRuleEngine=True,
        default=True,
    )
    profile_id = profile["id"]["id"]
    assert profile["default"] is False
    assert profile["isolatedTbRuleEngine"] is True
    assert profile["profileData"]["configuration"]["type"] == "DEFAULT"
    fetched = (await sysadmin.get(f"/api/tenantProfile/{profile_id}")).json()
    assert fetched["name"] == "Gold"
    assert (await sysadmin.get(f"/api/tenantProfileInfo/{profile_id}")).json() == {
        "id": {"entityType": "TENANT_PROFILE", "id": profile_id},
        "name": "Gold",
    }
    assert_error(await sysadmin.post("/api/tenantProfile", json={"name": "Gold"}), 400, 31)
    renamed = await sysadmin.post("/api/tenantProfile", json={**profile, "name": "Platinum"})
    assert renamed.json()["version"] == 2
    assert_error(await sysadmin.post("/api/tenantProfile", json=profile), 409, 35)

    # A profile in use, or the default, cannot be deleted.
    tenant = await create(sysadmin, "/api/tenant", title="Rich", tenantProfileId=profile["id"])
    assert tenant["tenantProfileId"]["id"] == profile_id
    assert_error(await sysadmin.delete(f"/api/tenantProfile/{profile_id}"), 400, 31)
    assert_error(await sysadmin.delete(f"/api/tenantProfile/{default_id}"), 400, 31)
    made = await sysadmin.post(f"/api/tenantProfile/{profile_id}/default")
    assert made.json()["default"] is True
    assert (await sysadmin.get(f"/api/tenantProfile/{default_id}")).json()["default"] is False
    assert (await sysadmin.get("/api/tenantProfileInfo/default")).json()["name"] == "Platinum"
    # New tenants get the new default.
    poor = await create(sysadmin, "/api/tenant", title="Poor")
    assert poor["tenantProfileId"]["id"] == profile_id
    extra = await create(sysadmin, "/api/tenantProfile", name="Unused")
    assert (await sysadmin.delete(f"/api/tenantProfile/{extra['id']['id']}")).status_code == 200
    assert_error(await sysadmin.get(f"/api/tenantProfile/{extra['id']['id']}"), 404, 32)

    page = (await sysadmin.get("/api/tenantProfiles", params={"pageSize": 1, "page": 0})).json()
    assert page["totalElements"] == 2
    assert page["hasNext"] is True
    sorted_infos = await sysadmin.get(
        "/api/tenantProfileInfos", params={**PAGE, "sortProperty": "name", "sortOrder": "asc"}
    )
    assert [p["name"] for p in sorted_infos.json()["data"]] == ["Default", "Platinum"]
    search = await sysadmin.get("/api/tenantProfiles", params={**PAGE, "textSearch": "plat"})
    assert [p["name"] for p in search.json()["data"]] == ["Platinum"]
    assert_error(
        await sysadmin.get("/api/tenantProfiles", params={**PAGE, "sortOrder": "x"}), 400, 31
    )

    assert_error(await a.admin.get(f"/api/tenantProfile/{profile_id}"), 403, 20)
    assert_error(await a.admin.get("/api/tenantProfiles", params=PAGE), 403, 20)
    assert_error(await a.admin.post("/api/tenantProfile", json={"name": "Mine"}), 403, 20)
    assert_error(await a.admin.post(f"/api/tenantProfile/{profile_id}/default"), 403, 20)
    assert_error(await a.customer_user.delete(f"/api/tenantProfile/{profile_id}"), 403, 20)
    assert_error(await sysadmin.get(f"/api/tenantProfile/{uuid.uuid4()}"), 404, 32)
    assert_error(await sysadmin.get("/api/tenantProfile/nope"), 400, 31)
    for body in ('{"name": ', "[]", '{"name": 3}', '{"name": "x", "profileData": 1}'):
        assert_error(await sysadmin.post("/api/tenantProfile", content=body, headers=JSON), 400, 31)
    assert await total(sysadmin, "/api/tenantProfiles") == 2


async def test_tenant_profile_rate_limits_are_validated(platform: Platform) -> None:
    sysadmin = await platform.sysadmin()
    bad = {"configuration": {"type": "DEFAULT", "transportDeviceMsgRateLimit": "ten per second"}}
    response = await sysadmin.post("/api/tenantProfile", json={"name": "Bad", "profileData": bad})
    assert_error(response, 400, 31)
    assert "rate limit" in response.json()["message"]
    good = {"configuration": {"type": "DEFAULT", "transportDeviceMsgRateLimit": "10:1,300:60"}}
    saved = await create(sysadmin, "/api/tenantProfile", name="Limited", profileData=good)
    assert saved["profileData"]["configuration"]["transportDeviceMsgRateLimit"] == "10:1,300:60"
