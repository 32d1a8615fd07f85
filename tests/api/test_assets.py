"""Asset and asset profile REST: the device rules applied to assets (spec platform-api §3.3)."""

from __future__ import annotations

import uuid

from tb_rest_client.models import Asset, AssetProfile, CustomerId, DeviceProfile

from tests.api.checks import JSON, NULL_UUID, PAGE, assert_error, create, tb_rest_client, total
from tests.api.conftest import Platform


async def test_create_profile_resolution_and_infos(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    admin = a.admin
    plain = await create(admin, "/api/asset", name="Building 1", label="north")
    assert plain["type"] == "default"
    assert plain["customerId"] == {"entityType": "CUSTOMER", "id": NULL_UUID}
    assert plain["id"]["entityType"] == "ASSET"
    assert plain["version"] == 1
    typed = await create(admin, "/api/asset", name="Line 1", type="line")
    assert typed["type"] == "line"
    names = (await admin.get("/api/assetProfile/names")).json()
    assert [n["name"] for n in names] == ["default", "line"]
    explicit = await create(
        admin, "/api/asset", name="Line 2", type="other", assetProfileId=typed["assetProfileId"]
    )
    assert explicit["type"] == "line"
    info = (await admin.get(f"/api/asset/info/{typed['id']['id']}")).json()
    assert info["assetProfileName"] == "line"
    assert info["customerTitle"] is None
    assert info["customerIsPublic"] is False
    types = (await admin.get("/api/asset/types")).json()
    assert [t["type"] for t in types] == ["default", "line"]
    assert types[0]["entityType"] == "ASSET"
    assert types[0]["tenantId"]["id"] == a.tenant_id
    by_name = await admin.get("/api/tenant/asset", params={"assetName": "Line 2"})
    assert by_name.json()["id"] == explicit["id"]
    legacy = await admin.get("/api/tenant/assets", params={"assetName": "Line 2"})
    assert legacy.json()["id"] == explicit["id"]
    assert_error(await admin.get("/api/tenant/asset", params={"assetName": "none"}), 404, 32)
    lines = await admin.get("/api/tenant/assets", params={**PAGE, "type": "line"})
    assert sorted(x["name"] for x in lines.json()["data"]) == ["Line 1", "Line 2"]
    infos = await admin.get(
        "/api/tenant/assetInfos", params={**PAGE, "assetProfileId": typed["assetProfileId"]["id"]}
    )
    assert {x["assetProfileName"] for x in infos.json()["data"]} == {"line"}
    listed = await admin.get(
        "/api/assets", params={"assetIds": f"{plain['id']['id']},{uuid.uuid4()}"}
    )
    assert [x["name"] for x in listed.json()] == ["Building 1"]
    assert_error(await admin.get("/api/assets", params={"assetIds": "nope"}), 400, 31)
    duplicate = await admin.post("/api/asset", json={"name": "Building 1"})
    assert_error(duplicate, 400, 31)
    assert await total(admin, "/api/tenant/assets") == 3
    assert platform.publisher is not None
    assert platform.publisher.types().count("ENTITY_CREATED") == 3
    search = await admin.get("/api/tenant/assets", params={**PAGE, "textSearch": "NORTH"})
    assert [x["name"] for x in search.json()["data"]] == ["Building 1"]


async def test_paging_version_and_delete(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for i in range(5):
        await create(admin, "/api/asset", name=f"Room {i}")
    page = (await admin.get("/api/tenant/assets", params={"pageSize": 2, "page": 1})).json()
    assert [x["name"] for x in page["data"]] == ["Room 2", "Room 3"]
    assert page["totalPages"] == 3
    assert page["hasNext"] is True
    desc = await admin.get(
        "/api/tenant/assets",
        params={"pageSize": 1, "page": 0, "sortProperty": "name", "sortOrder": "DESC"},
    )
    assert desc.json()["data"][0]["name"] == "Room 4"
    assert_error(
        await admin.get("/api/tenant/assets", params={**PAGE, "sortOrder": "NONE"}), 400, 31
    )
    asset = (await admin.get("/api/tenant/asset", params={"assetName": "Room 0"})).json()
    updated = await admin.post("/api/asset", json={**asset, "label": "kitchen"})
    assert updated.json()["version"] == 2
    assert_error(await admin.post("/api/asset", json={**asset, "label": "stale"}), 409, 35)
    clash = await admin.post("/api/asset", json={**updated.json(), "name": "Room 1"})
    assert_error(clash, 400, 31)
    asset_id = asset["id"]["id"]
    assert (await admin.delete(f"/api/asset/{asset_id}")).status_code == 200
    assert platform.publisher is not None
    assert platform.publisher.types()[-1] == "ENTITY_DELETED"
    assert_error(await admin.get(f"/api/asset/{asset_id}"), 404, 32)
    assert_error(await admin.delete(f"/api/asset/{asset_id}"), 404, 32)
    assert_error(await admin.get("/api/asset/not-a-uuid"), 400, 31)
    assert await total(admin, "/api/tenant/assets") == 4


async def test_assign_unassign_and_permissions(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    asset = await create(a.admin, "/api/asset", name="Tank")
    asset_id = asset["id"]["id"]
    assert_error(await a.customer_user.get(f"/api/asset/{asset_id}"), 403, 20)
    assert_error(await b.admin.get(f"/api/asset/{asset_id}"), 403, 20)
    assert_error(await b.admin.post(f"/api/customer/{b.customer_id}/asset/{asset_id}"), 403, 20)
    assert_error(await a.admin.post(f"/api/customer/{b.customer_id}/asset/{asset_id}"), 403, 20)
    assert_error(await a.customer_user.post("/api/asset", json={"name": "X"}), 403, 20)
    sysadmin = await platform.sysadmin()
    assert_error(await sysadmin.get("/api/tenant/assets", params=PAGE), 403, 20)

    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/asset/{asset_id}")
    assert assigned.status_code == 200
    assert assigned.json()["customerId"]["id"] == a.customer_id
    assert platform.publisher is not None
    assert platform.publisher.types()[-1] == "ENTITY_ASSIGNED"
    assert (await a.customer_user.get(f"/api/asset/{asset_id}")).status_code == 200
    own = await a.customer_user.get(f"/api/customer/{a.customer_id}/assetInfos", params=PAGE)
    assert [x["customerTitle"] for x in own.json()["data"]] == ["A Customer"]
    assert await total(a.customer_user, f"/api/customer/{a.customer_id}/assets") == 1
    assert_error(
        await b.customer_user.get(f"/api/customer/{a.customer_id}/assets", params=PAGE), 403, 20
    )
    assert_error(
        await b.admin.get(f"/api/customer/{a.customer_id}/assetInfos", params=PAGE), 403, 20
    )
    assert_error(await a.admin.get(f"/api/customer/{uuid.uuid4()}/assets", params=PAGE), 404, 32)
    assert_error(await a.customer_user.delete(f"/api/asset/{asset_id}"), 403, 20)
    assert_error(await a.customer_user.delete(f"/api/customer/asset/{asset_id}"), 403, 20)

    unassigned = await a.admin.delete(f"/api/customer/asset/{asset_id}")
    assert unassigned.json()["customerId"]["id"] == NULL_UUID
    assert platform.publisher.types()[-1] == "ENTITY_UNASSIGNED"
    assert_error(await a.admin.delete(f"/api/customer/asset/{asset_id}"), 400, 31)
    assert_error(await a.customer_user.get(f"/api/asset/{asset_id}"), 403, 20)
    assert await total(a.customer_user, f"/api/customer/{a.customer_id}/assets") == 0


async def test_malformed_assets_are_400_and_write_nothing(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for body in (
        '{"name": "x"',
        "[]",
        "{}",
        '{"name": null}',
        '{"name": ["x"]}',
        '{"name": "x", "assetProfileId": {"id": "zzz"}}',
        '{"name": "x", "assetProfileId": {"id": "' + str(uuid.uuid4()) + '"}}',
        '{"name": "x", "label": 3}',
    ):
        response = await admin.post("/api/asset", content=body, headers=JSON)
        assert_error(response, 400, 31)
    assert await total(admin, "/api/tenant/assets") == 0
    assert_error(
        await admin.get("/api/tenant/assets", params={"pageSize": 5000, "page": 0}), 400, 31
    )
    assert_error(await admin.get("/api/tenant/assets", params={"page": 0}), 400, 31)
    assert platform.publisher is not None
    assert platform.publisher.types() == []


async def test_asset_profiles(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    admin = a.admin
    default = (await admin.get("/api/assetProfileInfo/default")).json()
    assert default["name"] == "default"
    default_id = default["id"]["id"]
    assert default["id"]["entityType"] == "ASSET_PROFILE"
    profile = await create(admin, "/api/assetProfile", name="building", description="b")
    profile_id = profile["id"]["id"]
    assert profile["default"] is False
    assert (await admin.get(f"/api/assetProfileInfo/{profile_id}")).json()["name"] == "building"
    assert_error(await admin.post("/api/assetProfile", json={"name": "building"}), 400, 31)
    asset = await create(admin, "/api/asset", name="HQ", assetProfileId=profile["id"])
    assert asset["type"] == "building"
    active = (await admin.get("/api/assetProfile/names", params={"activeOnly": True})).json()
    assert [n["name"] for n in active] == ["building"]

    renamed = await admin.post("/api/assetProfile", json={**profile, "name": "site"})
    assert renamed.json()["version"] == 2
    assert (await admin.get(f"/api/asset/{asset['id']['id']}")).json()["type"] == "site"
    assert_error(await admin.post("/api/assetProfile", json={**profile, "name": "q"}), 409, 35)
    assert_error(await admin.delete(f"/api/assetProfile/{profile_id}"), 400, 31)
    assert_error(await admin.delete(f"/api/assetProfile/{default_id}"), 400, 31)

    assert (await admin.post(f"/api/assetProfile/{profile_id}/default")).json()["default"] is True
    assert (await admin.get(f"/api/assetProfile/{default_id}")).json()["default"] is False
    assert (await create(admin, "/api/asset", name="Plain"))["type"] == "site"
    assert (await admin.delete(f"/api/assetProfile/{default_id}")).status_code == 200

    page = (await admin.get("/api/assetProfiles", params={"pageSize": 1, "page": 0})).json()
    assert page["totalElements"] == 1
    assert page["hasNext"] is False
    infos = (await admin.get("/api/assetProfileInfos", params=PAGE)).json()
    assert [p["name"] for p in infos["data"]] == ["site"]

    assert_error(await b.admin.get(f"/api/assetProfile/{profile_id}"), 403, 20)
    assert_error(await b.admin.delete(f"/api/assetProfile/{profile_id}"), 403, 20)
    assert_error(await a.customer_user.post("/api/assetProfile", json={"name": "c"}), 403, 20)
    assert_error(await admin.get(f"/api/assetProfile/{uuid.uuid4()}"), 404, 32)
    for body in ('{"name": ', "{}", '{"name": 7}', '{"name": "x", "default": []}'):
        response = await admin.post("/api/assetProfile", content=body, headers=JSON)
        assert_error(response, 400, 31)
    assert await total(admin, "/api/assetProfiles") == 1


async def test_tb_rest_client_assets_and_profiles(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    async with tb_rest_client(platform, a.admin) as tb:
        profile = await tb("save_asset_profile", AssetProfile(name="pump station"))
        assert profile.id.entity_type == "ASSET_PROFILE"
        assert profile.default is False
        asset = await tb("save_asset", Asset(name="Station 1", type="pump station", label="L"))
        assert asset.id.entity_type == "ASSET"
        assert asset.asset_profile_id.id == profile.id.id
        page = await tb("get_tenant_assets", 10, 0)
        assert [x.name for x in page.data] == ["Station 1"]
        assert page.has_next is False
        # The client's AssetInfo model is the PE one (owner name, groups): CE fields are extra.
        info = await tb("get_asset_info_by_id", asset.id)
        assert info.name == "Station 1"
        assert info.asset_profile_id.id == profile.id.id
        assert [t.type for t in await tb("get_asset_types")] == ["pump station"]
        # The client's assign/unassign go through the PE owner API (/api/owner/...), which
        # is not served; the CE customer lists work.
        infos = await tb("get_customer_asset_infos", CustomerId(a.customer_id, "CUSTOMER"), 10, 0)
        assert infos.data == []
        profiles = await tb("get_asset_profile_infos", 10, 0)
        assert sorted(p.name for p in profiles.data) == ["default", "pump station"]
        assert (await tb("get_default_asset_profile_info")).name == "default"
        device_profile = await tb(
            "save_device_profile",
            DeviceProfile(
                name="mqtt devices",
                type="DEFAULT",
                transport_type="MQTT",
                provision_type="DISABLED",
                profile_data={
                    "configuration": {"type": "DEFAULT"},
                    "transportConfiguration": {"type": "MQTT"},
                },
            ),
        )
        assert device_profile.transport_type == "MQTT"
        device_infos = await tb("get_device_profile_infos", 10, 0)
        assert sorted(p.name for p in device_infos.data) == ["default", "mqtt devices"]
        assert (await tb("get_default_device_profile_info")).name == "default"
        names = await tb("get_device_profile_names", False)
        assert sorted(n.name for n in names) == ["default", "mqtt devices"]
        logs = await tb("get_audit_logs", 50, 0, action_types="ADDED")
        assert {x.entity_name for x in logs.data} >= {"Station 1", "pump station", "mqtt devices"}
        await tb("delete_asset", asset.id)
        assert (await tb("get_tenant_assets", 10, 0)).total_elements == 0
