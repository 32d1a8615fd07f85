"""firmwareId/softwareId are checked when a device or device profile is saved (400 otherwise).

A package must exist in the caller's tenant (another tenant's id is answered exactly like an
unknown one), have the matching type, and belong to the device's profile (or the profile
being saved). Refused saves change nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from industryos.api.routes import ota as ota_routes
from tests.api.checks import PAGE, assert_error, create, create_device
from tests.api.conftest import Platform
from tests.api.test_ota import default_profile, new_package, upload

Json = dict[str, Any]


@pytest.fixture
async def admin(platform: Platform) -> httpx.AsyncClient:
    ota_routes.install(platform.app, platform.core.ota)
    return (await platform.new_tenant("A")).admin


async def package(
    admin: httpx.AsyncClient, profile_id: str, title: str, kind: str = "FIRMWARE"
) -> str:
    created = await new_package(admin, profile_id, title=title, type=kind)
    assert (await upload(admin, created["id"]["id"])).status_code == 200
    return str(created["id"]["id"])


def ref(package_id: str) -> Json:
    return {"entityType": "OTA_PACKAGE", "id": package_id}


async def device_count(admin: httpx.AsyncClient) -> int:
    return int((await admin.get("/api/tenant/devices", params=PAGE)).json()["totalElements"])


def assert_refused(response: httpx.Response, message: str) -> None:
    assert_error(response, 400, 31)
    assert response.json()["message"] == message


async def test_unknown_package_ids_are_refused(admin: httpx.AsyncClient) -> None:
    unknown = ref(str(uuid.uuid4()))
    before = await device_count(admin)
    refused = await admin.post("/api/device", json={"name": "Pump", "firmwareId": unknown})
    assert_refused(refused, "Can't assign non-existent firmware!")
    refused = await admin.post("/api/device", json={"name": "Pump", "softwareId": unknown})
    assert_refused(refused, "Can't assign non-existent software!")
    with_creds = await admin.post(
        "/api/device-with-credentials",
        json={"device": {"name": "Pump", "firmwareId": unknown}, "credentials": None},
    )
    assert_refused(with_creds, "Can't assign non-existent firmware!")
    assert await device_count(admin) == before
    profile = (await admin.get(f"/api/deviceProfile/{await default_profile(admin)}")).json()
    refused = await admin.post("/api/deviceProfile", json={**profile, "softwareId": unknown})
    assert_refused(refused, "Can't assign non-existent software!")
    stored = (await admin.get(f"/api/deviceProfile/{profile['id']['id']}")).json()
    assert stored["softwareId"] is None


async def test_another_tenants_package_reads_as_non_existent(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    foreign = await package(admin, await default_profile(admin), "secret")
    other = (await platform.new_tenant("B")).admin
    other_profile = await default_profile(other)
    created = await other.post("/api/device", json={"name": "Thief", "firmwareId": ref(foreign)})
    assert_refused(created, "Can't assign non-existent firmware!")
    device = await create_device(other, "Thief")
    updated = await other.post("/api/device", json={**device, "firmwareId": ref(foreign)})
    assert_refused(updated, "Can't assign non-existent firmware!")
    profile = (await other.get(f"/api/deviceProfile/{other_profile}")).json()
    on_profile = await other.post(
        "/api/deviceProfile", json={**profile, "firmwareId": ref(foreign)}
    )
    assert_refused(on_profile, "Can't assign non-existent firmware!")
    stored = (await other.get(f"/api/device/{device['id']['id']}")).json()
    assert stored["firmwareId"] is None
    assert (await other.get(f"/api/deviceProfile/{other_profile}")).json()["firmwareId"] is None


async def test_a_foreign_device_is_403_before_its_packages_are_checked(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    mine = await create_device(admin, "Mine")
    other = (await platform.new_tenant("B")).admin
    theirs = await package(other, await default_profile(other), "theirs")
    hijack = await other.post("/api/device", json={**mine, "firmwareId": ref(theirs)})
    assert_error(hijack, 403, 20)


async def test_the_package_type_must_match_the_field(admin: httpx.AsyncClient) -> None:
    profile_id = await default_profile(admin)
    firmware = await package(admin, profile_id, "fw")
    software = await package(admin, profile_id, "sw", kind="SOFTWARE")
    refused = await admin.post("/api/device", json={"name": "Pump", "firmwareId": ref(software)})
    assert_refused(refused, "Can't assign firmware with type: SOFTWARE")
    refused = await admin.post("/api/device", json={"name": "Pump", "softwareId": ref(firmware)})
    assert_refused(refused, "Can't assign software with type: FIRMWARE")
    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    refused = await admin.post("/api/deviceProfile", json={**profile, "firmwareId": ref(software)})
    assert_refused(refused, "Can't assign firmware with type: SOFTWARE")
    both = await create_device(admin, "Pump", firmwareId=ref(firmware), softwareId=ref(software))
    assert both["firmwareId"]["id"] == firmware and both["softwareId"]["id"] == software
    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    saved = await admin.post(
        "/api/deviceProfile", json={**profile, "firmwareId": ref(firmware), "softwareId": None}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["firmwareId"]["id"] == firmware


async def test_the_package_must_belong_to_the_devices_profile(admin: httpx.AsyncClient) -> None:
    default_id = await default_profile(admin)
    other_profile = await create(admin, "/api/deviceProfile", name="Pumps")
    other_id = other_profile["id"]["id"]
    for_pumps = await package(admin, other_id, "pump-fw")
    refused = await admin.post("/api/device", json={"name": "Plain", "firmwareId": ref(for_pumps)})
    assert_refused(refused, "Can't assign firmware with different deviceProfile!")
    by_type = await create_device(admin, "Typed", type="Pumps", firmwareId=ref(for_pumps))
    assert by_type["deviceProfileId"]["id"] == other_id
    by_id = await create_device(
        admin, "By id", deviceProfileId={"id": other_id}, firmwareId=ref(for_pumps)
    )
    moved = await admin.post(
        "/api/device", json={**by_id, "deviceProfileId": {"id": default_id}, "type": None}
    )
    assert_refused(moved, "Can't assign firmware with different deviceProfile!")
    still = (await admin.get(f"/api/device/{by_id['id']['id']}")).json()
    assert still["deviceProfileId"]["id"] == other_id
    default = (await admin.get(f"/api/deviceProfile/{default_id}")).json()
    refused = await admin.post("/api/deviceProfile", json={**default, "firmwareId": ref(for_pumps)})
    assert_refused(refused, "Can't assign firmware with different deviceProfile!")
    new_profile = await admin.post(
        "/api/deviceProfile", json={"name": "Fresh", "firmwareId": ref(for_pumps)}
    )
    assert_refused(new_profile, "Can't assign firmware with different deviceProfile!")
    pumps = (await admin.get(f"/api/deviceProfile/{other_id}")).json()
    saved = await admin.post("/api/deviceProfile", json={**pumps, "firmwareId": ref(for_pumps)})
    assert saved.status_code == 200, saved.text
