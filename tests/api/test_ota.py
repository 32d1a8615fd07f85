"""OTA package REST (platform-api §3.10): upload with checksums, download, lists, assignment.

Assigning a package to a device or its profile sets the fw_*/sw_* shared attributes in one
save (device-api §2.13, checklist 29's server half); unassigning deletes them.
"""

from __future__ import annotations

import hashlib
import os
import uuid
import zlib
from typing import Any

import httpx
import pytest

from industryos.api.routes import ota as ota_routes
from industryos.devices.ota.checksums import checksum_of
from industryos.devices.ota.wire import ChecksumAlgorithm
from industryos.entities.access import Caller
from industryos.entities.models import Authority, Device
from industryos.telemetry.kv import AttributeScope
from tests.api.checks import PAGE, assert_error, create_device
from tests.api.conftest import Platform

Json = dict[str, Any]
CONTENT = os.urandom(100_000)


@pytest.fixture
async def admin(platform: Platform) -> httpx.AsyncClient:
    ota_routes.install(platform.app, platform.core.ota)
    return (await platform.new_tenant("A")).admin


async def default_profile(admin: httpx.AsyncClient) -> str:
    profile: str = (await admin.get("/api/deviceProfileInfo/default")).json()["id"]["id"]
    return profile


async def new_package(
    admin: httpx.AsyncClient, profile_id: str, title: str = "fw", version: str = "1.0", **extra: Any
) -> Json:
    body = {
        "title": title,
        "version": version,
        "type": "FIRMWARE",
        "deviceProfileId": {"entityType": "DEVICE_PROFILE", "id": profile_id},
        **extra,
    }
    response = await admin.post("/api/otaPackage", json=body)
    assert response.status_code == 200, response.text
    package: Json = response.json()
    return package


async def upload(
    admin: httpx.AsyncClient,
    package_id: str,
    data: bytes = CONTENT,
    algorithm: str = "SHA256",
    checksum: str | None = None,
) -> httpx.Response:
    params = {"checksumAlgorithm": algorithm}
    if checksum is not None:
        params["checksum"] = checksum
    return await admin.post(
        f"/api/otaPackage/{package_id}",
        params=params,
        files={"file": ("fw.bin", data, "application/x-firmware")},
    )


async def test_upload_computes_checksum_and_download_streams_it_back(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    package = await new_package(admin, await default_profile(admin), tag="stable")
    assert package["hasData"] is False and package["name"] == "fw"
    stored = await upload(admin, package["id"]["id"])
    assert stored.status_code == 200, stored.text
    info = stored.json()
    assert info["hasData"] is True
    assert info["checksumAlgorithm"] == "SHA256"
    assert info["checksum"] == hashlib.sha256(CONTENT).hexdigest()
    assert info["dataSize"] == len(CONTENT)
    assert info["fileName"] == "fw.bin" and info["contentType"] == "application/x-firmware"
    download = await admin.get(f"/api/otaPackage/{package['id']['id']}/download")
    assert download.status_code == 200
    assert download.content == CONTENT
    assert download.headers["x-filename"] == "fw.bin"
    assert download.headers["content-type"] == "application/x-firmware"
    again = await upload(admin, package["id"]["id"])
    assert_error(again, 400, 31)  # content is uploaded once


async def test_given_checksum_is_verified(admin: httpx.AsyncClient) -> None:
    profile = await default_profile(admin)
    for algorithm in ChecksumAlgorithm:
        await _verified(admin, profile, algorithm)


async def _verified(admin: httpx.AsyncClient, profile: str, algorithm: ChecksumAlgorithm) -> None:
    good = await new_package(admin, profile, version=f"good-{algorithm.value}")
    expected = checksum_of(algorithm, CONTENT)
    stored = await upload(
        admin, good["id"]["id"], algorithm=algorithm.value.lower(), checksum=expected.upper()
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["checksum"] == expected
    bad = await new_package(admin, profile, version=f"bad-{algorithm.value}")
    refused = await upload(admin, bad["id"]["id"], algorithm=algorithm.value, checksum="00" * 4)
    assert_error(refused, 400, 31)
    assert "checksum" in refused.json()["message"]
    info = (await admin.get(f"/api/otaPackage/info/{bad['id']['id']}")).json()
    assert info["hasData"] is False  # nothing kept


def test_crc32_text_is_little_endian_hex() -> None:
    data = b"industryos"
    assert (
        checksum_of(ChecksumAlgorithm.CRC32, data) == zlib.crc32(data).to_bytes(4, "little").hex()
    )


async def test_rules_on_save_list_and_delete(admin: httpx.AsyncClient) -> None:
    profile = await default_profile(admin)
    missing_profile = await admin.post(
        "/api/otaPackage", json={"title": "x", "version": "1", "type": "FIRMWARE"}
    )
    assert_error(missing_profile, 400, 31)
    package = await new_package(admin, profile)
    clash = await admin.post(
        "/api/otaPackage",
        json={
            "title": "fw",
            "version": "1.0",
            "type": "SOFTWARE",
            "deviceProfileId": {"id": profile},
        },
    )
    assert_error(clash, 400, 31)
    unknown_algorithm = await upload(admin, package["id"]["id"], algorithm="SHA1")
    assert_error(unknown_algorithm, 400, 31)
    listed = (await admin.get("/api/otaPackages", params=PAGE)).json()
    assert [p["id"]["id"] for p in listed["data"]] == [package["id"]["id"]]
    assignable = (await admin.get(f"/api/otaPackages/{profile}/FIRMWARE", params=PAGE)).json()
    assert assignable["data"] == []  # no content yet
    await upload(admin, package["id"]["id"])
    assignable = (await admin.get(f"/api/otaPackages/{profile}/FIRMWARE", params=PAGE)).json()
    assert len(assignable["data"]) == 1
    assert (await admin.get(f"/api/otaPackages/{profile}/SOFTWARE", params=PAGE)).json()[
        "data"
    ] == []
    device = await create_device(admin, "Pump", firmwareId={"id": package["id"]["id"]})
    in_use = await admin.delete(f"/api/otaPackage/{package['id']['id']}")
    assert_error(in_use, 400, 31)
    device["firmwareId"] = None
    assert (await admin.post("/api/device", json=device)).status_code == 200
    assert (await admin.delete(f"/api/otaPackage/{package['id']['id']}")).status_code == 200
    gone = await admin.get(f"/api/otaPackage/info/{package['id']['id']}")
    assert_error(gone, 404, 32)


async def shared(platform: Platform, device: Json) -> dict[str, Any]:
    await platform.core.ota.assignments.wait_idle()
    found = await platform.core.telemetry.get_attributes(
        uuid.UUID(device["tenantId"]["id"]),
        uuid.UUID(device["id"]["id"]),
        AttributeScope.SHARED_SCOPE,
    )
    return {e.key: e.native_value() for e in found.get(AttributeScope.SHARED_SCOPE, [])}


async def test_assignment_sets_and_unassignment_deletes_fw_attributes(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    profile_id = await default_profile(admin)
    package = await new_package(admin, profile_id, tag="t1")
    await upload(admin, package["id"]["id"])
    device = await create_device(admin, "Pump")
    device = (
        await admin.post("/api/device", json={**device, "firmwareId": {"id": package["id"]["id"]}})
    ).json()
    attributes = await shared(platform, device)
    assert attributes == {
        "fw_title": "fw",
        "fw_version": "1.0",
        "fw_tag": "t1",
        "fw_size": len(CONTENT),
        "fw_checksum_algorithm": "SHA256",
        "fw_checksum": hashlib.sha256(CONTENT).hexdigest(),
    }
    status = (await admin.get(f"/api/ota/device/{device['id']['id']}/status")).json()
    assert status["FIRMWARE"]["state"] == "INITIATED"
    assert status["FIRMWARE"]["targetVersion"] == "1.0"
    assert status["SOFTWARE"]["package"] is None
    device = (await admin.post("/api/device", json={**device, "firmwareId": None})).json()
    assert await shared(platform, device) == {}


async def test_profile_assignment_reaches_devices_without_their_own(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    profile_id = await default_profile(admin)
    on_profile = await new_package(admin, profile_id, title="base", version="2")
    own = await new_package(admin, profile_id, title="own", version="9")
    for package in (on_profile, own):
        await upload(admin, package["id"]["id"])
    plain = await create_device(admin, "Plain")
    pinned = await create_device(admin, "Pinned", firmwareId={"id": own["id"]["id"]})
    pinned = (await admin.post("/api/device", json={**pinned, "label": "x"})).json()
    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    profile["firmwareId"] = {"id": on_profile["id"]["id"]}
    assert (await admin.post("/api/deviceProfile", json=profile)).status_code == 200
    assert (await shared(platform, plain))["fw_title"] == "base"
    counts = (await admin.get(f"/api/ota/deviceProfile/{profile_id}/status?type=FIRMWARE")).json()
    assert counts["total"] == 2
    assert counts["states"] == {"INITIATED": 2}  # the pinned one since its creation
    assert (await shared(platform, pinned))["fw_title"] == "own"


async def test_devices_created_over_rest_get_their_packages_at_once(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    """A new device under a profile with a package, or created with its own, needs no edit."""
    profile_id = await default_profile(admin)
    on_profile = await new_package(admin, profile_id, title="base", version="4")
    own = await new_package(admin, profile_id, title="own", version="5")
    for package in (on_profile, own):
        await upload(admin, package["id"]["id"])
    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    profile["firmwareId"] = {"id": on_profile["id"]["id"]}
    assert (await admin.post("/api/deviceProfile", json=profile)).status_code == 200
    inherits = await create_device(admin, "Newcomer")
    assert (await shared(platform, inherits))["fw_version"] == "4"
    pinned = await create_device(admin, "Pinned newcomer", firmwareId={"id": own["id"]["id"]})
    assert (await shared(platform, pinned))["fw_title"] == "own"


async def test_bulk_imported_devices_get_their_profile_firmware(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    from industryos.api.routes import bulk_import as bulk_routes
    from industryos.entities.bulk_import import BulkImport

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
    bulk.on_devices_created(core.ota.assignments.devices_created)
    bulk_routes.install(platform.app, bulk)
    profile_id = await default_profile(admin)
    package = await new_package(admin, profile_id, title="fleet", version="3")
    await upload(admin, package["id"]["id"])
    profile = (await admin.get(f"/api/deviceProfile/{profile_id}")).json()
    profile["firmwareId"] = {"id": package["id"]["id"]}
    assert (await admin.post("/api/deviceProfile", json=profile)).status_code == 200
    body = {"file": "name\nImported\n", "mapping": {"columns": [{"type": "NAME"}]}}
    imported = await admin.post("/api/device/bulk_import", json=body)
    assert imported.json()["created"] == 1
    device = (await admin.get("/api/tenant/device", params={"deviceName": "Imported"})).json()
    assert (await shared(platform, device))["fw_title"] == "fleet"


async def test_another_tenants_package_id_gives_a_device_nothing(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    from industryos.devices.ota.errors import PackageNotAssigned
    from industryos.devices.ota.wire import OtaPackageType

    package = await new_package(admin, await default_profile(admin), title="secret")
    await upload(admin, package["id"]["id"])
    other_tenant = await platform.new_tenant("B")
    other = other_tenant.admin
    refused = await other.post(
        "/api/device", json={"name": "Thief", "firmwareId": {"id": package["id"]["id"]}}
    )
    assert_error(refused, 400, 31)  # tests/api/test_ota_assignment.py has the cases
    # saved past the REST check (entity service), the foreign id still reaches nothing
    caller = Caller(
        uuid.uuid4(), "b@test", Authority.TENANT_ADMIN, uuid.UUID(other_tenant.tenant_id)
    )
    saved = await platform.core.devices.save(
        caller, Device(name="Thief", firmware_id=uuid.UUID(package["id"]["id"]))
    )
    thief = saved.to_wire()
    assert await shared(platform, thief) == {}
    with pytest.raises(PackageNotAssigned):
        await platform.core.ota.downloads.package(
            uuid.UUID(thief["id"]["id"]), OtaPackageType.FIRMWARE
        )
    status = (await other.get(f"/api/ota/device/{thief['id']['id']}/status")).json()
    assert status["FIRMWARE"]["package"] is None
    stolen = await other.get(f"/api/otaPackage/{package['id']['id']}/download")
    assert stolen.status_code == 403


async def test_url_package_sets_fw_url_instead_of_size_and_checksum(
    admin: httpx.AsyncClient, platform: Platform
) -> None:
    profile_id = await default_profile(admin)
    missing_url = await admin.post(
        "/api/otaPackage",
        json={
            "title": "remote",
            "version": "1",
            "type": "FIRMWARE",
            "usesUrl": True,
            "deviceProfileId": {"id": profile_id},
        },
    )
    assert_error(missing_url, 400, 31)
    package = await new_package(
        admin, profile_id, title="remote", version="1", usesUrl=True, url="https://x.test/fw.bin"
    )
    assert package["url"] == "https://x.test/fw.bin"
    refused = await upload(admin, package["id"]["id"])
    assert_error(refused, 400, 31)
    expected = {"fw_title": "remote", "fw_version": "1", "fw_url": "https://x.test/fw.bin"}
    device = await create_device(admin, "Remote", firmwareId={"id": package["id"]["id"]})
    assert await shared(platform, device) == expected
    device = (await admin.post("/api/device", json={**device, "firmwareId": None})).json()
    assert await shared(platform, device) == {}
    device = (
        await admin.post("/api/device", json={**device, "firmwareId": {"id": package["id"]["id"]}})
    ).json()
    assert await shared(platform, device) == expected


async def test_a_non_ascii_file_name_downloads_under_a_safe_name(admin: httpx.AsyncClient) -> None:
    package = await new_package(admin, await default_profile(admin), title="named")
    stored = await admin.post(
        f"/api/otaPackage/{package['id']['id']}",
        params={"checksumAlgorithm": "MD5"},
        files={"file": ("fïrmware;v2.bin", b"abc", "application/octet-stream")},
    )
    assert stored.json()["fileName"] == "fïrmware;v2.bin"
    download = await admin.get(f"/api/otaPackage/{package['id']['id']}/download")
    assert download.status_code == 200 and download.content == b"abc"
    assert download.headers["x-filename"] == "f_rmware_v2.bin"
