"""Device REST: paging, profiles, credentials, ownership, locking and bad input (checklist 6-12)."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import orjson

from tests.api.checks import NULL_UUID, PAGE, assert_error, create_device, total
from tests.api.conftest import Platform


async def device_count(client: httpx.AsyncClient) -> int:
    return await total(client, "/api/tenant/devices")


async def test_paging_search_and_sort(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for i in range(5):
        await create_device(admin, f"Pump {i}", label="hall" if i % 2 else "yard")
    page = (await admin.get("/api/tenant/devices", params={"pageSize": 2, "page": 1})).json()
    assert len(page["data"]) == 2
    assert page["totalPages"] == 3
    assert page["totalElements"] == 5
    assert page["hasNext"] is True
    last = (await admin.get("/api/tenant/devices", params={"pageSize": 2, "page": 2})).json()
    assert len(last["data"]) == 1
    assert last["hasNext"] is False
    # Default order is creation order.
    first = (await admin.get("/api/tenant/devices", params={"pageSize": 5, "page": 0})).json()
    assert [d["name"] for d in first["data"]] == [f"Pump {i}" for i in range(5)]
    desc = await admin.get(
        "/api/tenant/devices",
        params={"pageSize": 5, "page": 0, "sortProperty": "name", "sortOrder": "desc"},
    )
    assert [d["name"] for d in desc.json()["data"]] == [f"Pump {i}" for i in reversed(range(5))]
    # textSearch matches name or label, case-insensitively.
    hall = await admin.get(
        "/api/tenant/deviceInfos", params={"pageSize": 10, "page": 0, "textSearch": "HALL"}
    )
    assert sorted(d["name"] for d in hall.json()["data"]) == ["Pump 1", "Pump 3"]
    by_name = await admin.get(
        "/api/tenant/devices", params={"pageSize": 10, "page": 0, "textSearch": "pump 4"}
    )
    assert [d["name"] for d in by_name.json()["data"]] == ["Pump 4"]


BAD_PAGE_PARAMS: list[dict[str, Any]] = [
    {"pageSize": 2, "page": 0, "sortOrder": "UP"},
    {"pageSize": 2, "page": 0, "sortProperty": "nope"},
    {"pageSize": 100000, "page": 0},
    {"pageSize": 0, "page": 0},
    {"pageSize": 2, "page": -1},
    {"pageSize": "x", "page": 0},
    {"pageSize": 2},
]


async def test_bad_page_params_are_400(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for params in BAD_PAGE_PARAMS:
        for path in ("/api/tenant/deviceInfos", "/api/tenant/devices"):
            assert_error(await admin.get(path, params=params), 400, 31)


async def test_unknown_foreign_and_malformed_ids(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    device = await create_device(a.admin, "Meter")
    device_id = device["id"]["id"]
    assert_error(await a.admin.get(f"/api/device/{uuid.uuid4()}"), 404, 32)
    assert_error(await a.admin.get("/api/device/not-a-uuid"), 400, 31)
    # Not assigned to the customer user's customer, and another tenant's.
    assert_error(await a.customer_user.get(f"/api/device/{device_id}"), 403, 20)
    assert_error(await b.admin.get(f"/api/device/{device_id}"), 403, 20)
    assert_error(await b.admin.delete(f"/api/device/{device_id}"), 403, 20)
    assert_error(
        await b.customer_user.get(f"/api/customer/{a.customer_id}/devices", params=PAGE), 403, 20
    )
    sysadmin = await platform.sysadmin()
    assert_error(await sysadmin.get("/api/tenant/devices", params=PAGE), 403, 20)
    assert_error(await a.customer_user.post("/api/device", json={"name": "Nope"}), 403, 20)
    assert (await a.admin.get(f"/api/device/{device_id}")).status_code == 200


async def test_profile_resolution_and_type(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    plain = await create_device(admin, "Plain")
    assert plain["type"] == "default"
    info = (await admin.get(f"/api/device/info/{plain['id']['id']}")).json()
    assert info["deviceProfileName"] == "default"
    assert info["customerTitle"] is None
    typed = await create_device(admin, "Typed", type="x")
    assert typed["type"] == "x"
    assert typed["deviceProfileId"] != plain["deviceProfileId"]
    names = (await admin.get("/api/deviceProfile/names")).json()
    assert sorted(n["name"] for n in names) == ["default", "x"]
    # An explicit profile wins over a stale type, and type mirrors the profile name.
    explicit = await create_device(
        admin, "Explicit", type="ignored", deviceProfileId=typed["deviceProfileId"]
    )
    assert explicit["type"] == "x"
    same_type = await create_device(admin, "Second x", type="x")
    assert same_type["deviceProfileId"] == typed["deviceProfileId"]
    types = (await admin.get("/api/device/types")).json()
    assert [t["type"] for t in types] == ["default", "x"]
    assert all(t["entityType"] == "DEVICE" for t in types)
    filtered = await admin.get("/api/tenant/devices", params={**PAGE, "type": "x"})
    assert sorted(d["name"] for d in filtered.json()["data"]) == ["Explicit", "Second x", "Typed"]
    missing = await admin.post(
        "/api/device", json={"name": "Orphan", "deviceProfileId": {"id": str(uuid.uuid4())}}
    )
    assert_error(missing, 400, 31)


async def test_access_token_and_duplicate_name(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    device = await create_device(admin, "Tokened")
    creds = (await admin.get(f"/api/device/{device['id']['id']}/credentials")).json()
    assert creds["credentialsType"] == "ACCESS_TOKEN"
    assert len(creds["credentialsId"]) == 20
    assert creds["credentialsId"].isalnum()
    assert creds["credentialsValue"] is None
    chosen = await admin.post("/api/device", params={"accessToken": "myToken1"}, json={"name": "B"})
    assert chosen.status_code == 200
    chosen_creds = (await admin.get(f"/api/device/{chosen.json()['id']['id']}/credentials")).json()
    assert chosen_creds["credentialsId"] == "myToken1"
    # A token another device holds is refused, and the device is not created.
    clash = await admin.post("/api/device", params={"accessToken": "myToken1"}, json={"name": "C"})
    assert_error(clash, 400, 31)
    duplicate = await admin.post("/api/device", json={"name": "Tokened"})
    assert_error(duplicate, 400, 31)
    assert "already exists" in duplicate.json()["message"]
    assert await device_count(admin) == 2


async def test_stale_version_is_409(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    device = await create_device(admin, "Locked")
    assert device["version"] == 1
    updated = await admin.post("/api/device", json={**device, "label": "first"})
    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    stale = await admin.post("/api/device", json={**device, "label": "second"})
    assert_error(stale, 409, 35)
    stored = (await admin.get(f"/api/device/{device['id']['id']}")).json()
    assert stored["label"] == "first"
    forced = await admin.post("/api/device", json={**device, "version": None, "label": "forced"})
    assert forced.status_code == 200
    assert forced.json()["version"] == 3
    renamed = await admin.post("/api/device", json={**forced.json(), "name": "Renamed"})
    assert renamed.json()["name"] == "Renamed"
    assert renamed.json()["createdTime"] == device["createdTime"]


async def test_assign_and_unassign_flip_customer_and_publish(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    device = await create_device(a.admin, "Shared")
    assert device["customerId"] == {"entityType": "CUSTOMER", "id": NULL_UUID}
    device_id = device["id"]["id"]
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{device_id}")
    assert assigned.status_code == 200
    assert assigned.json()["customerId"]["id"] == a.customer_id
    assert platform.publisher is not None
    assert platform.publisher.types()[-1] == "ENTITY_ASSIGNED"
    # Now the customer user sees it, in lists too, and may update (not delete) it.
    assert (await a.customer_user.get(f"/api/device/{device_id}")).status_code == 200
    own = await a.customer_user.get(f"/api/customer/{a.customer_id}/deviceInfos", params=PAGE)
    assert [d["customerTitle"] for d in own.json()["data"]] == ["A Customer"]
    seen = await a.customer_user.get("/api/devices", params={"deviceIds": device_id})
    assert [d["name"] for d in seen.json()] == ["Shared"]
    current = (await a.customer_user.get(f"/api/device/{device_id}")).json()
    relabelled = await a.customer_user.post("/api/device", json={**current, "label": "mine"})
    assert relabelled.status_code == 200
    assert relabelled.json()["customerId"]["id"] == a.customer_id
    assert_error(await a.customer_user.delete(f"/api/device/{device_id}"), 403, 20)
    unassigned = await a.admin.delete(f"/api/customer/device/{device_id}")
    assert unassigned.status_code == 200
    assert unassigned.json()["customerId"]["id"] == NULL_UUID
    assert platform.publisher.types()[-1] == "ENTITY_UNASSIGNED"
    assert_error(await a.admin.delete(f"/api/customer/device/{device_id}"), 400, 31)
    assert_error(await a.customer_user.get(f"/api/device/{device_id}"), 403, 20)
    assert_error(await a.admin.post(f"/api/customer/{uuid.uuid4()}/device/{device_id}"), 404, 32)
    types = platform.publisher.types()
    assert types.count("ENTITY_CREATED") == 1
    assert "ENTITY_UPDATED" in types


async def test_mqtt_basic_credentials(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    value = orjson.dumps({"clientId": "c1", "userName": "u1", "password": "p"}).decode()
    response = await admin.post(
        "/api/device-with-credentials",
        json={
            "device": {"name": "Basic"},
            "credentials": {"credentialsType": "MQTT_BASIC", "credentialsValue": value},
        },
    )
    assert response.status_code == 200, response.text
    creds = (await admin.get(f"/api/device/{response.json()['id']['id']}/credentials")).json()
    assert creds["credentialsType"] == "MQTT_BASIC"
    assert creds["credentialsId"] == hashlib.sha3_256(b"c1|u1").hexdigest()
    only_user = orjson.dumps({"userName": "u2"}).decode()
    creds["credentialsValue"] = only_user
    updated = await admin.post("/api/device/credentials", json=creds)
    assert updated.status_code == 200, updated.text
    assert updated.json()["credentialsId"] == "u2"
    for bad in ({"password": "p"}, {}, {"clientId": "", "userName": ""}):
        refused = await admin.post(
            "/api/device-with-credentials",
            json={
                "device": {"name": "Refused"},
                "credentials": {
                    "credentialsType": "MQTT_BASIC",
                    "credentialsValue": orjson.dumps(bad).decode(),
                },
            },
        )
        assert_error(refused, 400, 31)
    assert await device_count(admin) == 1


async def test_x509_credentials(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    body = "MIIBszCCAVmgAwIBAgIUQk" + "A" * 40
    pem = f"-----BEGIN CERTIFICATE-----\n{body[:30]}\n{body[30:]}\n-----END CERTIFICATE-----\n"
    response = await admin.post(
        "/api/device-with-credentials",
        json={
            "device": {"name": "Certified", "type": "secure"},
            "credentials": {"credentialsType": "X509_CERTIFICATE", "credentialsValue": pem},
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["type"] == "secure"
    creds = (await admin.get(f"/api/device/{response.json()['id']['id']}/credentials")).json()
    assert creds["credentialsId"] == hashlib.sha3_256(body.encode()).hexdigest()
    assert creds["credentialsValue"] == body
    missing = await admin.post(
        "/api/device-with-credentials",
        json={"device": {"name": "NoCert"}, "credentials": {"credentialsType": "X509_CERTIFICATE"}},
    )
    assert_error(missing, 400, 31)
    assert await device_count(admin) == 1


async def test_delete_device(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    device = await create_device(admin, "Doomed")
    device_id = device["id"]["id"]
    assert (await admin.delete(f"/api/device/{device_id}")).status_code == 200
    assert_error(await admin.get(f"/api/device/{device_id}"), 404, 32)
    assert_error(await admin.delete(f"/api/device/{device_id}"), 404, 32)
    assert platform.publisher is not None
    assert platform.publisher.types()[-1] == "ENTITY_DELETED"
    # The name and the token are free again.
    await create_device(admin, "Doomed")


MALFORMED_DEVICES = [
    '{"name": "x"',
    "[]",
    '{"name": 5}',
    "{}",
    '{"name": ""}',
    '{"name": "x", "id": {"id": "not-a-uuid"}}',
    '{"name": "x", "deviceProfileId": "nope"}',
    '{"name": "x", "deviceData": 7}',
    '{"name": "' + "n" * 256 + '"}',
]


async def test_malformed_device_is_400_and_writes_nothing(platform: Platform) -> None:
    admin = (await platform.new_tenant("A")).admin
    for body in MALFORMED_DEVICES:
        response = await admin.post(
            "/api/device", content=body, headers={"Content-Type": "application/json"}
        )
        assert_error(response, 400, 31)
    assert await device_count(admin) == 0
    assert platform.publisher is not None
    assert "ENTITY_CREATED" not in platform.publisher.types()


async def test_other_tenants_customer_devices_are_refused(platform: Platform) -> None:
    a = await platform.new_tenant("TenantA")
    b = await platform.new_tenant("TenantB")
    response = await b.admin.get(
        f"/api/customer/{a.customer_id}/devices", params={"pageSize": 10, "page": 0}
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == 20


async def test_device_info_reports_the_activity_flag(platform: Platform) -> None:
    from industryos.telemetry.kv import AttributeScope, kv_entry

    a = await platform.new_tenant("Active")
    device = await create_device(a.admin, "Busy")
    info = (await a.admin.get(f"/api/device/info/{device['id']['id']}")).json()
    assert info["active"] is False
    await platform.core.telemetry.save_attributes(
        uuid.UUID(a.tenant_id),
        uuid.UUID(device["id"]["id"]),
        AttributeScope.SERVER_SCOPE,
        [kv_entry("active", True)],
    )
    info = (await a.admin.get(f"/api/device/info/{device['id']['id']}")).json()
    assert info["active"] is True
    page = await a.admin.get("/api/tenant/deviceInfos", params={"pageSize": 10, "page": 0})
    assert [d["active"] for d in page.json()["data"]] == [True]
