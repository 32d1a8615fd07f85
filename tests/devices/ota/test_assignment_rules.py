"""A package with nothing to download cannot be assigned (REST, both engines).

ThingsBoard's rule: a package without uploaded content is refused on the save of a device or
device profile ("Can't assign firmware with empty data!", 400), unless it is a URL package;
and a URL package's URL cannot be changed, so an assigned one never becomes empty. Refused
saves change nothing. (The other assignment checks: ``tests/api/test_ota_assignment.py``.)
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from industryos.api.routes import ota as ota_routes
from tests.api.checks import PAGE, assert_error, create_device
from tests.api.conftest import Platform, platform
from tests.api.test_ota import default_profile, new_package, upload

__all__ = ["platform"]  # the REST platform fixture of tests/api

Json = dict[str, Any]


@pytest.fixture
async def admin(platform: Platform) -> httpx.AsyncClient:
    ota_routes.install(platform.app, platform.core.ota)
    return (await platform.new_tenant("A")).admin


def ref(package: Json) -> Json:
    return {"entityType": "OTA_PACKAGE", "id": package["id"]["id"]}


def assert_refused(response: httpx.Response, message: str) -> None:
    assert_error(response, 400, 31)
    assert response.json()["message"] == message


async def device_count(admin: httpx.AsyncClient) -> int:
    return int((await admin.get("/api/tenant/devices", params=PAGE)).json()["totalElements"])


async def test_a_package_without_content_is_refused(admin: httpx.AsyncClient) -> None:
    profile_id = await default_profile(admin)
    firmware = await new_package(admin, profile_id, title="fw")
    software = await new_package(admin, profile_id, title="sw", type="SOFTWARE")
    before = await device_count(admin)
    created = await admin.post("/api/device", json={"name": "Pump", "firmwareId": ref(firmware)})
    assert_refused(created, "Can't assign firmware with empty data!")
    created = await admin.post("/api/device", json={"name": "Pump", "softwareId": ref(software)})
    assert_refused(created, "Can't assign software with empty data!")
    with_creds = await admin.post(
        "/api/device-with-credentials",
        json={"device": {"name": "Pump", "firmwareId": ref(firmware)}, "credentials": None},
    )
    assert_refused(with_creds, "Can't assign firmware with empty data!")
    assert await device_count(admin) == before

    device = await create_device(admin, "Valve")
    updated = await admin.post("/api/device", json={**device, "firmwareId": ref(firmware)})
    assert_refused(updated, "Can't assign firmware with empty data!")
    assert (await admin.get(f"/api/device/{device['id']['id']}")).json()["firmwareId"] is None

    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    on_profile = await admin.post(
        "/api/deviceProfile", json={**profile, "softwareId": ref(software)}
    )
    assert_refused(on_profile, "Can't assign software with empty data!")
    assert (await admin.get(f"/api/deviceProfile/{profile_id}")).json()["softwareId"] is None

    assert (await upload(admin, firmware["id"]["id"])).status_code == 200
    assigned = await admin.post("/api/device", json={**device, "firmwareId": ref(firmware)})
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["firmwareId"]["id"] == firmware["id"]["id"]


async def test_a_url_package_is_assignable_and_keeps_its_url(admin: httpx.AsyncClient) -> None:
    profile_id = await default_profile(admin)
    remote = await new_package(
        admin, profile_id, title="remote", usesUrl=True, url="https://x.test/fw.bin"
    )
    device = await create_device(admin, "Remote", firmwareId=ref(remote))
    assert device["firmwareId"]["id"] == remote["id"]["id"]
    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    saved = await admin.post("/api/deviceProfile", json={**profile, "firmwareId": ref(remote)})
    assert saved.status_code == 200, saved.text

    emptied = await admin.post("/api/otaPackage", json={**remote, "usesUrl": False})
    assert_refused(emptied, "Updating otaPackage URL is prohibited!")
    moved = await admin.post(
        "/api/otaPackage", json={**remote, "usesUrl": True, "url": "https://y.test/fw.bin"}
    )
    assert_refused(moved, "Updating otaPackage URL is prohibited!")
    stored = (await admin.get(f"/api/otaPackage/info/{remote['id']['id']}")).json()
    assert stored["url"] == "https://x.test/fw.bin"
    tagged = await admin.post("/api/otaPackage", json={**remote, "usesUrl": True, "tag": "stable"})
    assert tagged.status_code == 200, tagged.text
