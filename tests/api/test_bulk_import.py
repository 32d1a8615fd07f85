"""CSV bulk import and bulk device operations over REST, on both engines.

A CSV with bad rows (missing name, duplicate name, unknown credentials type, unknown
customer, taken token) reports each bad row by line and imports the good ones; a re-import
with ``update`` updates; credentials of each type authenticate as imported.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from industryos.api.routes import bulk_import as bulk_routes
from industryos.entities.bulk_import import BulkImport
from industryos.entities.credentials import sha3_hex
from industryos.telemetry.kv import AttributeScope
from tests.api.checks import PAGE, assert_error, create_device
from tests.api.conftest import Platform, TenantAccounts

Json = dict[str, Any]
MAPPING = [
    {"type": "NAME"},
    {"type": "TYPE"},
    {"type": "LABEL"},
    {"type": "CREDENTIALS_TYPE"},
    {"type": "ACCESS_TOKEN"},
    {"type": "MQTT_CLIENT_ID"},
    {"type": "MQTT_USER_NAME"},
    {"type": "MQTT_PASSWORD"},
    {"type": "SHARED_ATTRIBUTE", "key": "targetTemp"},
    {"type": "SERVER_ATTRIBUTE", "key": "site"},
    {"type": "TIMESERIES", "key": "temperature"},
    {"type": "IS_GATEWAY"},
    {"type": "CUSTOMER"},
]
HEADER = (
    "name,type,label,creds,token,clientId,user,password,targetTemp,site,temperature,gw,customer"
)


@pytest.fixture
async def tenant(platform: Platform) -> TenantAccounts:
    core = platform.core
    assert platform.publisher is not None
    bulk = BulkImport(
        core.db,
        core.repos,
        core.devices,
        core.device_profiles,
        core.assets,
        core.telemetry,
        core.timeseries.keys,
        platform.publisher,
    )
    bulk_routes.install(platform.app, bulk)
    return await platform.new_tenant("A")


def request(csv: str, *, update: bool = True, mapping: list[Json] | None = None) -> Json:
    return {
        "file": csv,
        "mapping": {
            "columns": mapping or MAPPING,
            "delimiter": ",",
            "update": update,
            "header": True,
        },
    }


async def devices_by_name(admin: httpx.AsyncClient) -> dict[str, Json]:
    page = (await admin.get("/api/tenant/devices", params={**PAGE, "pageSize": 1000})).json()
    return {d["name"]: d for d in page["data"]}


async def test_good_rows_import_and_bad_rows_are_reported_by_line(
    tenant: TenantAccounts, platform: Platform
) -> None:
    admin = tenant.admin
    customer = (await admin.get(f"/api/customer/{tenant.customer_id}")).json()["title"]
    taken = await admin.post("/api/device?accessToken=taken-token", json={"name": "Taken"})
    assert taken.status_code == 200, taken.text
    csv = "\n".join(
        [
            HEADER,
            f"Pump 1,pump,hall,,tok-1,,,,21.5,plant-a,20,false,{customer}",  # line 2: token
            "Pump 2,pump,,MQTT_BASIC,,c2,u2,p2,,,,,",  # line 3: MQTT basic
            ",pump,,,,,,,,,,,",  # line 4: no name
            "Pump 1,pump,,,,,,,,,,,",  # line 5: duplicate name
            "Pump 3,pump,,KERBEROS,,,,,,,,,",  # line 6: unknown credentials type
            "Gate,gateway,,,,,,,,,,true,",  # line 7: gateway, generated token
            "Pump 4,pump,,,,,,,,,,,Nobody",  # line 8: unknown customer
            "Pump 5,pump,,,taken-token,,,,,,,,",  # line 9: token of another device
            "Pump 6,pump,,,,,,,,,,maybe,",  # line 10: bad gateway flag
        ]
    )
    response = await admin.post("/api/device/bulk_import", json=request(csv))
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["created"], result["updated"], result["errors"]) == (3, 0, 6), result["results"]
    errors = {row["line"]: row["error"] for row in result["results"] if row["result"] == "ERROR"}
    assert sorted(errors) == [4, 5, 6, 8, 9, 10]
    assert "Name is required" in errors[4]
    assert "Duplicate name" in errors[5]
    assert "credentials type" in errors[6]
    assert "Nobody" in errors[8]
    assert "already assigned" in errors[9]
    assert result["errorsList"][0].startswith("Line 4: ")
    devices = await devices_by_name(admin)
    assert set(devices) == {"Taken", "Pump 1", "Pump 2", "Gate"}
    pump = devices["Pump 1"]
    assert (pump["type"], pump["label"]) == ("pump", "hall")
    assert pump["customerId"]["id"] == tenant.customer_id
    assert devices["Gate"]["additionalInfo"]["gateway"] is True
    creds = (await admin.get(f"/api/device/{pump['id']['id']}/credentials")).json()
    assert (creds["credentialsType"], creds["credentialsId"]) == ("ACCESS_TOKEN", "tok-1")
    basic = (await admin.get(f"/api/device/{devices['Pump 2']['id']['id']}/credentials")).json()
    assert basic["credentialsType"] == "MQTT_BASIC"
    assert basic["credentialsId"] == sha3_hex("c2|u2")
    device_id = uuid.UUID(pump["id"]["id"])
    tenant_id = uuid.UUID(tenant.tenant_id)
    found = await platform.core.telemetry.get_attributes(tenant_id, device_id)
    values = {(scope, e.key): e.native_value() for scope, es in found.items() for e in es}
    assert values[(AttributeScope.SHARED_SCOPE, "targetTemp")] == 21.5
    assert values[(AttributeScope.SERVER_SCOPE, "site")] == "plant-a"
    latest = await platform.core.telemetry.get_latest(tenant_id, device_id, ["temperature"])
    assert [p.value for p in latest] == [20]
    by_credentials = await platform.core.devices.find_by_credentials(["tok-1"])
    assert by_credentials["tok-1"][1].id == device_id


async def test_reimport_updates_or_refuses_existing(tenant: TenantAccounts) -> None:
    admin = tenant.admin
    csv = f"{HEADER}\nPump,pump,old,,tok-u,,,,1,,,,\n"
    created = (await admin.post("/api/device/bulk_import", json=request(csv))).json()
    assert created["created"] == 1
    again = f"{HEADER}\nPump,pump,new,,tok-v,,,,2,,,,\n"
    refused = await admin.post("/api/device/bulk_import", json=request(again, update=False))
    assert refused.json()["errors"] == 1
    updated = (await admin.post("/api/device/bulk_import", json=request(again))).json()
    assert (updated["created"], updated["updated"]) == (0, 1)
    pump = (await devices_by_name(admin))["Pump"]
    assert pump["label"] == "new"
    creds = (await admin.get(f"/api/device/{pump['id']['id']}/credentials")).json()
    assert creds["credentialsId"] == "tok-v"


async def test_bad_mapping_is_refused_whole(tenant: TenantAccounts) -> None:
    admin = tenant.admin
    no_name = request("a\nb\n", mapping=[{"type": "LABEL"}])
    assert_error(await admin.post("/api/device/bulk_import", json=no_name), 400, 31)
    unknown = request("a\n", mapping=[{"type": "NAME"}, {"type": "LWM2M_CLIENT_ENDPOINT"}])
    assert_error(await admin.post("/api/device/bulk_import", json=unknown), 400, 31)
    keyless = request("a,1\n", mapping=[{"type": "NAME"}, {"type": "TIMESERIES"}])
    assert_error(await admin.post("/api/device/bulk_import", json=keyless), 400, 31)
    user = await tenant.customer_user.post("/api/device/bulk_import", json=request("n\nx\n"))
    assert user.status_code == 403


async def test_asset_import(tenant: TenantAccounts) -> None:
    admin = tenant.admin
    mapping = [
        {"type": "NAME"},
        {"type": "TYPE"},
        {"type": "DESCRIPTION"},
        {"type": "SERVER_ATTRIBUTE", "key": "floor"},
    ]
    csv = "name,type,description,floor\nHall A,building,North,3\n,building,,\nHall A,building,,\n"
    result = (await admin.post("/api/asset/bulk_import", json=request(csv, mapping=mapping))).json()
    assert (result["created"], result["errors"]) == (1, 2)
    devices_only = request("n\nx\n", mapping=[{"type": "NAME"}, {"type": "ACCESS_TOKEN"}])
    assert_error(await admin.post("/api/asset/bulk_import", json=devices_only), 400, 31)


async def test_bulk_assign_unassign_and_delete(tenant: TenantAccounts, platform: Platform) -> None:
    admin = tenant.admin
    ids = [(await create_device(admin, f"D{i}"))["id"]["id"] for i in range(3)]
    other = await platform.new_tenant("B")
    foreign = (await create_device(other.admin, "B device"))["id"]["id"]
    assigned = await admin.post(
        "/api/devices/bulk/assign",
        json={"customerId": tenant.customer_id, "deviceIds": [*ids, foreign]},
    )
    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert body["succeeded"] == ids
    assert [e["id"] for e in body["errors"]] == [foreign]
    listed = await admin.get(f"/api/customer/{tenant.customer_id}/devices", params=PAGE)
    assert {d["id"]["id"] for d in listed.json()["data"]} == set(ids)
    stolen = await other.admin.post("/api/devices/bulk/delete", json={"deviceIds": ids})
    assert stolen.json()["succeeded"] == []
    unassigned = await admin.post("/api/devices/bulk/unassign", json={"deviceIds": ids[:2]})
    assert unassigned.json()["succeeded"] == ids[:2]
    deleted = await admin.post("/api/devices/bulk/delete", json={"deviceIds": ids})
    assert deleted.json()["succeeded"] == ids
    assert set(await devices_by_name(admin)) == set()
    user = await tenant.customer_user.post("/api/devices/bulk/delete", json={"deviceIds": ids})
    assert user.status_code == 403
