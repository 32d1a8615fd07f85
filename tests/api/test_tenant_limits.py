"""Tenant-profile limits as REST clients see them, on both engines.

Past a profile's ``maxDevices``/``maxAssets``/... a create answers ThingsBoard's 403 with
errorCode 41 (ENTITIES_LIMIT_EXCEEDED), ``"Devices limit reached"``, the entity type and
the limit; an update still works; another tenant is unaffected; a profile edited or
reassigned by the sysadmin applies to the very next request. Bulk import reports the rows
past the limit; an OTA upload past ``maxOtaPackagesInBytes`` is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from industryos.api.routes import bulk_import as bulk_routes
from industryos.api.routes import ota as ota_routes
from industryos.api.routes import rule_chains as chain_routes
from industryos.entities.bulk_import import BulkImport
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.engine import RuleEngine
from industryos.rules.entities import EntityFields
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.service import RuleChainService
from tests.api.checks import PAGE, assert_error, create, create_device, total
from tests.api.conftest import Platform

Json = dict[str, Any]


async def limited_profile(sysadmin: httpx.AsyncClient, name: str, **limits: int) -> Json:
    return await create(
        sysadmin,
        "/api/tenantProfile",
        name=name,
        profileData={"configuration": {"type": "DEFAULT", **limits}},
    )


async def move_tenant(sysadmin: httpx.AsyncClient, tenant_id: str, profile: Json) -> None:
    tenant = (await sysadmin.get(f"/api/tenant/{tenant_id}")).json()
    moved = await sysadmin.post("/api/tenant", json={**tenant, "tenantProfileId": profile["id"]})
    assert moved.status_code == 200, moved.text


def assert_limit(response: httpx.Response, entity_type: str, message: str, limit: int) -> None:
    assert_error(response, 403, 41)
    body = response.json()
    assert body["message"] == message
    assert body["entityType"] == entity_type
    assert body["limit"] == limit


async def test_creation_past_each_limit_is_403_and_other_tenants_are_unaffected(
    platform: Platform,
) -> None:
    sysadmin = await platform.sysadmin()
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    # Tenant A already has one customer and two users (admin and customer user).
    profile = await limited_profile(
        sysadmin,
        "Small",
        maxDevices=1,
        maxAssets=1,
        maxCustomers=2,
        maxUsers=3,
        maxDashboards=1,
    )
    await move_tenant(sysadmin, a.tenant_id, profile)

    device = await create_device(a.admin, "d1")
    assert_limit(
        await a.admin.post("/api/device", json={"name": "d2"}), "DEVICE", "Devices limit reached", 1
    )
    renamed = await a.admin.post("/api/device", json={**device, "name": "d1-renamed"})
    assert renamed.status_code == 200, renamed.text  # updates are not creations

    await create(a.admin, "/api/asset", name="a1")
    assert_limit(
        await a.admin.post("/api/asset", json={"name": "a2"}), "ASSET", "Assets limit reached", 1
    )
    await create(a.admin, "/api/customer", title="c2")
    assert_limit(
        await a.admin.post("/api/customer", json={"title": "c3"}),
        "CUSTOMER",
        "Customers limit reached",
        2,
    )
    user = {"email": "new@a.test", "authority": "TENANT_ADMIN"}
    await create(a.admin, "/api/user", **user)
    assert_limit(
        await a.admin.post("/api/user", json={**user, "email": "newer@a.test"}),
        "USER",
        "Users limit reached",
        3,
    )
    await create(a.admin, "/api/dashboard", title="one")
    assert_limit(
        await a.admin.post("/api/dashboard", json={"title": "two"}),
        "DASHBOARD",
        "Dashboards limit reached",
        1,
    )

    for index in range(3):  # tenant B runs under the default profile: no limits
        await create_device(b.admin, f"d{index}")
        await create(b.admin, "/api/asset", name=f"a{index}")
        await create(b.admin, "/api/dashboard", title=f"t{index}")
    assert await total(a.admin, "/api/tenant/devices") == 1
    assert await total(b.admin, "/api/tenant/devices") == 3


async def test_profile_edit_and_reassignment_apply_to_the_next_request(platform: Platform) -> None:
    sysadmin = await platform.sysadmin()
    a = await platform.new_tenant("A")
    profile = await limited_profile(sysadmin, "One", maxDevices=1)
    await move_tenant(sysadmin, a.tenant_id, profile)
    await create_device(a.admin, "d1")
    assert_limit(
        await a.admin.post("/api/device", json={"name": "d2"}), "DEVICE", "Devices limit reached", 1
    )

    configuration = {**profile["profileData"]["configuration"], "maxDevices": 2}
    edited = await sysadmin.post(
        "/api/tenantProfile",
        json={**profile, "profileData": {**profile["profileData"], "configuration": configuration}},
    )
    assert edited.status_code == 200, edited.text
    await create_device(a.admin, "d2")
    assert_limit(
        await a.admin.post("/api/device", json={"name": "d3"}), "DEVICE", "Devices limit reached", 2
    )

    default = (await sysadmin.get("/api/tenantProfileInfo/default")).json()
    await move_tenant(sysadmin, a.tenant_id, {"id": default["id"]})
    await create_device(a.admin, "d3")

    refused = await sysadmin.post(
        "/api/tenantProfile",
        json={"name": "Broken", "profileData": {"configuration": {"maxDevices": -1}}},
    )
    assert_error(refused, 400, 31)


async def test_bulk_import_reports_the_rows_past_the_device_limit(platform: Platform) -> None:
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
        limits=core.limits,
    )
    bulk_routes.install(platform.app, bulk)
    sysadmin = await platform.sysadmin()
    a = await platform.new_tenant("A")
    await move_tenant(sysadmin, a.tenant_id, await limited_profile(sysadmin, "Three", maxDevices=3))
    await create_device(a.admin, "existing")
    csv = "name\n" + "\n".join(f"row{i}" for i in range(4))
    request = {
        "file": csv,
        "mapping": {
            "columns": [{"type": "NAME"}],
            "delimiter": ",",
            "update": False,
            "header": True,
        },
    }
    response = await a.admin.post("/api/device/bulk_import", json=request)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == 2
    assert result["errors"] == 2
    details = result["errorsList"]
    assert len(details) == 2 and all("Devices limit reached" in line for line in details)
    page = (await a.admin.get("/api/tenant/devices", params=PAGE)).json()
    assert sorted(d["name"] for d in page["data"]) == ["existing", "row0", "row1"]


async def test_ota_upload_past_the_byte_limit_is_refused(platform: Platform) -> None:
    ota_routes.install(platform.app, platform.core.ota)
    sysadmin = await platform.sysadmin()
    a = await platform.new_tenant("A")
    await move_tenant(
        sysadmin, a.tenant_id, await limited_profile(sysadmin, "Tiny", maxOtaPackagesInBytes=10)
    )
    profile_id = (await a.admin.get("/api/deviceProfileInfo/default")).json()["id"]["id"]

    async def upload(version: str, data: bytes) -> httpx.Response:
        package = await create(
            a.admin,
            "/api/otaPackage",
            title="fw",
            version=version,
            type="FIRMWARE",
            deviceProfileId={"entityType": "DEVICE_PROFILE", "id": profile_id},
        )
        return await a.admin.post(
            f"/api/otaPackage/{package['id']['id']}",
            params={"checksumAlgorithm": "SHA256"},
            files={"file": ("fw.bin", data, "application/octet-stream")},
        )

    assert (await upload("1", b"123456")).status_code == 200
    refused = await upload("2", b"12345")
    assert_error(refused, 400, 31)
    assert refused.json()["message"] == (
        "Failed to create the ota package, files size limit is exhausted 10 bytes!"
    )
    assert (await upload("3", b"1234")).status_code == 200  # exactly at the limit
    packages = (await a.admin.get("/api/otaPackages", params=PAGE)).json()["data"]
    assert sorted((p["version"], p["hasData"]) for p in packages) == [
        ("1", True),
        ("2", False),
        ("3", True),
    ]


async def test_alarm_creation_past_max_created_alarms_is_429(platform: Platform) -> None:
    sysadmin = await platform.sysadmin()
    a = await platform.new_tenant("A")
    await move_tenant(
        sysadmin, a.tenant_id, await limited_profile(sysadmin, "One alarm", maxCreatedAlarms=1)
    )
    device = await create_device(a.admin, "boiler")

    def body(kind: str, severity: str = "MAJOR") -> Json:
        return {"originator": device["id"], "type": kind, "severity": severity}

    await create(a.admin, "/api/alarm", **body("heat"))
    refused = await a.admin.post("/api/alarm", json=body("smoke"))
    assert_error(refused, 429, 33)
    assert refused.json()["message"] == "Alarms creation is disabled"
    updated = await a.admin.post("/api/alarm", json=body("heat", "CRITICAL"))
    assert updated.status_code == 200, updated.text  # the active alarm is updated, not created
    assert updated.json()["severity"] == "CRITICAL"


async def test_rule_chain_creation_and_import_past_max_rule_chains_is_403(
    platform: Platform, tmp_path: Path
) -> None:
    core = platform.core
    service = RuleChainService(core.db, limits=core.limits)
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "q"))
    engine = RuleEngine(queue, service, ServiceSet(), EntityFields(core.db))
    chain_routes.install(platform.app, chain_routes.RuleChainApi(service, engine))
    try:
        sysadmin = await platform.sysadmin()
        a = await platform.new_tenant("A")
        await move_tenant(
            sysadmin, a.tenant_id, await limited_profile(sysadmin, "Two", maxRuleChains=2)
        )
        await create(a.admin, "/api/ruleChain", name="first")
        await create(a.admin, "/api/ruleChain", name="second")
        assert_limit(
            await a.admin.post("/api/ruleChain", json={"name": "third"}),
            "RULE_CHAIN",
            "Rule chains limit reached",
            2,
        )
        imported = await a.admin.post(
            "/api/ruleChains/import", json={"ruleChains": [{"name": "imported"}], "metadata": []}
        )
        assert_limit(imported, "RULE_CHAIN", "Rule chains limit reached", 2)
        assert await total(a.admin, "/api/ruleChains") == 2
    finally:
        await engine.stop()
        await queue.close()
