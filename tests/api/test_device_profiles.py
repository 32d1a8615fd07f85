"""Device profile REST: CRUD, default, infos, names, deletion rules, permissions, bad input."""

from __future__ import annotations

import uuid

from tests.api.checks import PAGE, assert_error, create_device
from tests.api.conftest import Platform


async def test_new_tenant_has_default_profile(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    page = (await admin.get("/api/deviceProfiles", params=PAGE)).json()
    assert page["totalElements"] == 1
    profile = page["data"][0]
    assert profile["name"] == "default"
    assert profile["default"] is True
    assert profile["type"] == "DEFAULT"
    assert profile["transportType"] == "DEFAULT"
    assert profile["provisionType"] == "DISABLED"
    assert profile["profileData"]["provisionConfiguration"] == {
        "type": "DISABLED",
        "provisionDeviceSecret": None,
    }
    assert profile["id"]["entityType"] == "DEVICE_PROFILE"
    info = (await admin.get("/api/deviceProfileInfo/default")).json()
    assert info["id"] == profile["id"]
    assert info["name"] == "default"
    assert info["transportType"] == "DEFAULT"


async def test_crud_default_and_deletion_rules(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    created = await admin.post(
        "/api/deviceProfile",
        json={"name": "mqtt sensors", "transportType": "MQTT", "default": True},
    )
    assert created.status_code == 200, created.text
    profile = created.json()
    profile_id = profile["id"]["id"]
    assert profile["default"] is False  # the flag moves only through /default
    assert profile["version"] == 1
    assert (await admin.get(f"/api/deviceProfile/{profile_id}")).json()["name"] == "mqtt sensors"
    info = (await admin.get(f"/api/deviceProfileInfo/{profile_id}")).json()
    assert info["transportType"] == "MQTT"
    mqtt_only = await admin.get("/api/deviceProfileInfos", params={**PAGE, "transportType": "MQTT"})
    assert [p["name"] for p in mqtt_only.json()["data"]] == ["mqtt sensors"]
    all_infos = (await admin.get("/api/deviceProfileInfos", params=PAGE)).json()
    assert all_infos["totalElements"] == 2
    duplicate = await admin.post("/api/deviceProfile", json={"name": "mqtt sensors"})
    assert_error(duplicate, 400, 31)

    device = await create_device(admin, "Sensor", deviceProfileId=profile["id"])
    assert device["type"] == "mqtt sensors"
    active = (await admin.get("/api/deviceProfile/names", params={"activeOnly": True})).json()
    assert [n["name"] for n in active] == ["mqtt sensors"]
    every = (await admin.get("/api/deviceProfile/names", params={"activeOnly": False})).json()
    assert [n["name"] for n in every] == ["default", "mqtt sensors"]

    # Renaming retypes the devices; a stale version is refused.
    renamed = await admin.post("/api/deviceProfile", json={**profile, "name": "climate"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["version"] == 2
    assert (await admin.get(f"/api/device/{device['id']['id']}")).json()["type"] == "climate"
    assert_error(await admin.post("/api/deviceProfile", json={**profile, "name": "z"}), 409, 35)

    in_use = await admin.delete(f"/api/deviceProfile/{profile_id}")
    assert_error(in_use, 400, 31)
    default_id = (await admin.get("/api/deviceProfileInfo/default")).json()["id"]["id"]
    made_default = await admin.post(f"/api/deviceProfile/{profile_id}/default")
    assert made_default.status_code == 200
    assert made_default.json()["default"] is True
    assert (await admin.get("/api/deviceProfileInfo/default")).json()["id"]["id"] == profile_id
    old_default = (await admin.get(f"/api/deviceProfile/{default_id}")).json()
    assert old_default["default"] is False
    # A device without profile now gets the new default.
    assert (await create_device(admin, "Next"))["type"] == "climate"

    refused = await admin.delete(f"/api/deviceProfile/{profile_id}")
    assert_error(refused, 400, 31)
    assert "Default" in refused.json()["message"]
    assert (await admin.delete(f"/api/deviceProfile/{default_id}")).status_code == 200
    assert_error(await admin.get(f"/api/deviceProfile/{default_id}"), 404, 32)


async def test_paging_and_sorting(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for name in ("p3", "p1", "p2", "p4"):
        assert (await admin.post("/api/deviceProfile", json={"name": name})).status_code == 200
    page = await admin.get(
        "/api/deviceProfiles",
        params={"pageSize": 2, "page": 1, "sortProperty": "name", "sortOrder": "ASC"},
    )
    body = page.json()
    assert [p["name"] for p in body["data"]] == ["p2", "p3"]
    assert body["totalPages"] == 3
    assert body["hasNext"] is True
    search = await admin.get("/api/deviceProfiles", params={**PAGE, "textSearch": "P4"})
    assert [p["name"] for p in search.json()["data"]] == ["p4"]
    bad = await admin.get("/api/deviceProfiles", params={**PAGE, "sortOrder": "sideways"})
    assert_error(bad, 400, 31)


async def test_permissions(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    profile = (await a.admin.post("/api/deviceProfile", json={"name": "mine"})).json()
    profile_id = profile["id"]["id"]
    assert_error(await b.admin.get(f"/api/deviceProfile/{profile_id}"), 403, 20)
    assert_error(await b.admin.delete(f"/api/deviceProfile/{profile_id}"), 403, 20)
    assert_error(await b.admin.post(f"/api/deviceProfile/{profile_id}/default"), 403, 20)
    assert_error(await b.admin.post("/api/deviceProfile", json={**profile, "name": "x"}), 403, 20)
    # Another tenant may use the same name.
    assert (await b.admin.post("/api/deviceProfile", json={"name": "mine"})).status_code == 200
    assert_error(await a.customer_user.post("/api/deviceProfile", json={"name": "c"}), 403, 20)
    assert_error(await a.customer_user.delete(f"/api/deviceProfile/{profile_id}"), 403, 20)
    assert (await a.customer_user.get(f"/api/deviceProfileInfo/{profile_id}")).status_code == 200
    sysadmin = await platform.sysadmin()
    assert_error(await sysadmin.get("/api/deviceProfiles", params=PAGE), 403, 20)
    assert_error(await sysadmin.post("/api/deviceProfile", json={"name": "s"}), 403, 20)
    assert_error(await a.admin.get(f"/api/deviceProfile/{uuid.uuid4()}"), 404, 32)
    assert_error(await a.admin.get("/api/deviceProfile/123"), 400, 31)
    assert_error(await a.admin.delete(f"/api/deviceProfile/{uuid.uuid4()}"), 404, 32)


async def test_malformed_profiles_are_400_and_write_nothing(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for body in (
        '{"name": "x"',
        "[]",
        "{}",
        '{"name": 1}',
        '{"name": ""}',
        '{"name": "x", "profileData": "text"}',
        '{"name": "x", "id": "not-a-uuid"}',
        '{"name": "x", "default": "maybe"}',
    ):
        response = await admin.post(
            "/api/deviceProfile", content=body, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400, 31)
    assert (await admin.get("/api/deviceProfiles", params=PAGE)).json()["totalElements"] == 1
    too_big = await admin.get("/api/deviceProfiles", params={"pageSize": 10**6, "page": 0})
    assert_error(too_big, 400, 31)
