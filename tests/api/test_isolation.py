"""Tenant and customer isolation over every REST resource (design contract "Tenant isolation").

Tenant A owns a device, a customer C1 (with user U1) that the device and an asset are
assigned to, profiles, a relation, telemetry and attributes. Tenant B's admin and U2, a
user of A's *other* customer C2, try every read and write on A's things. Each attempt must
be refused with 403/404 and the error body (list endpoints may instead answer an empty
list: nothing of A in it), and the whole database must be unchanged afterwards.

Probes are grouped by resource; a resource whose router is not mounted is reported in the
test's skip reason (after every mounted one passed), and :func:`test_every_id_route_is_probed`
fails when a route taking an id appears that no probe covers, so new routes cannot slip past.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from industryos.entities.models import Authority, User
from industryos.storage.tables import metadata
from tests.api.conftest import Platform

Json = dict[str, Any]
ERROR_KEYS = {"status", "message", "errorCode", "timestamp"}
PAGE = "pageSize=10&page=0"


@dataclass
class World:
    """Ids of tenant A's entities, and the attackers' clients."""

    ids: dict[str, str]
    attackers: dict[str, httpx.AsyncClient]
    mounted: set[tuple[str, str]]


@dataclass(frozen=True)
class Probe:
    """One request an attacker must not get through."""

    method: str
    path: str
    body: Callable[[dict[str, str]], Any] | None = None
    listing: bool = False
    """A list endpoint: an empty answer (nothing of A) is as good as a refusal."""
    attackers: tuple[str, ...] = ("tenant_b_admin", "other_customer_user")
    needs: tuple[str, ...] = field(default=())
    """Ids the probe needs (skipped when the resource could not be created)."""


def _ref(kind: str, key: str) -> Callable[[dict[str, str]], Json]:
    return lambda ids: {"entityType": kind, "id": ids[key]}


B_ONLY = ("tenant_b_admin",)
DEV = "/api/plugins/telemetry/DEVICE/{device}"

PROBES: dict[str, list[Probe]] = {
    "devices": [
        Probe("GET", "/api/device/{device}"),
        Probe("GET", "/api/device/info/{device}"),
        Probe("POST", "/api/device", lambda i: {"id": {"id": i["device"]}, "name": "hijacked"}),
        Probe("DELETE", "/api/device/{device}"),
        Probe("POST", "/api/customer/{customer2}/device/{device}", attackers=B_ONLY),
        Probe("POST", "/api/customer/{customer_b}/device/{device}", attackers=B_ONLY),
        Probe("DELETE", "/api/customer/device/{device}"),
        Probe("GET", "/api/customer/{customer}/devices?" + PAGE, listing=True),
        Probe("GET", "/api/customer/{customer}/deviceInfos?" + PAGE, listing=True),
        Probe("GET", "/api/devices?deviceIds={device}", listing=True),
        Probe("GET", "/api/tenant/device?deviceName=A%20device", attackers=B_ONLY),
    ],
    "credentials": [
        Probe("GET", "/api/device/{device}/credentials"),
        Probe(
            "POST",
            "/api/device/credentials",
            lambda i: {
                "deviceId": {"id": i["device"]},
                "credentialsType": "ACCESS_TOKEN",
                "credentialsId": "stolen-token",
            },
        ),
    ],
    "device_profiles": [
        Probe("GET", "/api/deviceProfile/{device_profile}", attackers=B_ONLY),
        Probe("GET", "/api/deviceProfileInfo/{device_profile}", attackers=B_ONLY),
        Probe("DELETE", "/api/deviceProfile/{device_profile}"),
        Probe("POST", "/api/deviceProfile/{device_profile}/default"),
        Probe(
            "POST",
            "/api/deviceProfile",
            lambda i: {"id": {"id": i["device_profile"]}, "name": "hijacked"},
        ),
    ],
    "assets": [
        Probe("GET", "/api/asset/{asset}", needs=("asset",)),
        Probe("GET", "/api/asset/info/{asset}", needs=("asset",)),
        Probe("DELETE", "/api/asset/{asset}", needs=("asset",)),
        Probe(
            "POST",
            "/api/asset",
            lambda i: {"id": {"id": i["asset"]}, "name": "hijacked"},
            needs=("asset",),
        ),
        Probe(
            "POST", "/api/customer/{customer2}/asset/{asset}", attackers=B_ONLY, needs=("asset",)
        ),
        Probe("DELETE", "/api/customer/asset/{asset}", needs=("asset",)),
        Probe("GET", "/api/customer/{customer}/assets?" + PAGE, listing=True),
        Probe("GET", "/api/customer/{customer}/assetInfos?" + PAGE, listing=True),
        Probe("GET", "/api/assets?assetIds={asset}", listing=True, needs=("asset",)),
    ],
    "asset_profiles": [
        Probe("GET", "/api/assetProfile/{asset_profile}", attackers=B_ONLY),
        Probe("GET", "/api/assetProfileInfo/{asset_profile}", attackers=B_ONLY),
        Probe("DELETE", "/api/assetProfile/{asset_profile}"),
        Probe("POST", "/api/assetProfile/{asset_profile}/default"),
        Probe(
            "POST",
            "/api/assetProfile",
            lambda i: {"id": {"id": i["asset_profile"]}, "name": "hijacked"},
        ),
    ],
    "customers": [
        Probe("GET", "/api/customer/{customer}"),
        Probe("GET", "/api/customer/{customer}/shortInfo"),
        Probe("GET", "/api/customer/{customer}/title"),
        Probe(
            "POST", "/api/customer", lambda i: {"id": {"id": i["customer"]}, "title": "hijacked"}
        ),
        Probe("DELETE", "/api/customer/{customer}"),
        Probe("GET", "/api/customers/list?customerIds={customer}", listing=True),
    ],
    "tenants": [
        Probe("GET", "/api/tenant/{tenant}", attackers=B_ONLY),
        Probe("GET", "/api/tenant/info/{tenant}", attackers=B_ONLY),
        Probe("DELETE", "/api/tenant/{tenant}", attackers=B_ONLY),
        Probe("POST", "/api/tenant", lambda i: {"id": {"id": i["tenant"]}, "title": "hijacked"}),
    ],
    "users": [
        Probe("GET", "/api/user/{user}"),
        Probe("DELETE", "/api/user/{user}"),
        Probe("GET", "/api/user/{user}/activationLink"),
        Probe("POST", "/api/user/{user}/userCredentialsEnabled?userCredentialsEnabled=false"),
        Probe(
            "POST",
            "/api/user",
            lambda i: {
                "id": {"id": i["user"]},
                "email": "hijacked@a.test",
                "authority": "CUSTOMER_USER",
            },
        ),
        Probe("GET", "/api/customer/{customer}/users?" + PAGE, listing=True),
        Probe("GET", "/api/tenant/{tenant}/users?" + PAGE, listing=True),
    ],
    "relations": [
        Probe("GET", "/api/relations?fromId={device}&fromType=DEVICE"),
        Probe("GET", "/api/relations?toId={device}&toType=DEVICE"),
        Probe("GET", "/api/relations/info?toId={device}&toType=DEVICE"),
        Probe("GET", "/api/relations/from/CUSTOMER/{customer}"),
        Probe("GET", "/api/relations/from/CUSTOMER/{customer}/Contains"),
        Probe("GET", "/api/relations/to/DEVICE/{device}"),
        Probe("GET", "/api/relations/to/DEVICE/{device}/Contains"),
        Probe("GET", "/api/relations/info/from/CUSTOMER/{customer}"),
        Probe("GET", "/api/relations/info/to/DEVICE/{device}"),
        Probe(
            "GET",
            "/api/relation?fromId={customer}&fromType=CUSTOMER&relationType=Contains"
            "&toId={device}&toType=DEVICE",
        ),
        Probe(
            "DELETE",
            "/api/relation?fromId={customer}&fromType=CUSTOMER&relationType=Contains"
            "&toId={device}&toType=DEVICE",
        ),
        Probe(
            "DELETE",
            "/api/v2/relation?fromId={customer}&fromType=CUSTOMER&relationType=Contains"
            "&toId={device}&toType=DEVICE",
        ),
        Probe("DELETE", "/api/relations?entityId={device}&entityType=DEVICE"),
        Probe(
            "POST",
            "/api/v2/relation",
            lambda i: {
                "from": _ref("DEVICE", "device")(i),
                "to": _ref("DEVICE", "own")(i),
                "type": "X",
            },
        ),
        Probe(
            "POST",
            "/api/relation",
            lambda i: {
                "from": _ref("DEVICE", "own")(i),
                "to": _ref("DEVICE", "device")(i),
                "type": "X",
            },
        ),
        Probe(
            "POST",
            "/api/relations",
            lambda i: {
                "parameters": {"rootId": i["device"], "rootType": "DEVICE", "direction": "TO"}
            },
        ),
        Probe(
            "POST",
            "/api/relations/info",
            lambda i: {"parameters": {"rootId": i["customer"], "rootType": "CUSTOMER"}},
        ),
    ],
    "telemetry": [
        Probe("GET", DEV + "/keys/timeseries"),
        Probe("GET", DEV + "/values/timeseries?keys=temperature"),
        Probe("GET", DEV + "/values/timeseries?keys=temperature&startTs=0&endTs=9999999999999"),
        Probe("GET", DEV + "/values/timeseries/history?keys=temperature&startTs=0&endTs=99999999"),
        Probe("POST", DEV + "/timeseries/ANY", lambda i: {"temperature": 99}),
        Probe("POST", DEV + "/timeseries/ANY/60", lambda i: {"temperature": 99}),
        Probe("DELETE", DEV + "/timeseries/delete?keys=temperature&deleteAllDataForKeys=true"),
    ],
    "attributes": [
        Probe("GET", DEV + "/keys/attributes"),
        Probe("GET", DEV + "/keys/attributes/SERVER_SCOPE"),
        Probe("GET", DEV + "/values/attributes"),
        Probe("GET", DEV + "/values/attributes/SHARED_SCOPE"),
        Probe("POST", DEV + "/attributes/SERVER_SCOPE", lambda i: {"hacked": True}),
        Probe("POST", DEV + "/SHARED_SCOPE", lambda i: {"hacked": True}),
        Probe("POST", "/api/plugins/telemetry/{device}/SHARED_SCOPE", lambda i: {"hacked": True}),
        Probe("DELETE", DEV + "/SERVER_SCOPE?keys=firmware"),
        Probe("DELETE", "/api/plugins/telemetry/{device}/SERVER_SCOPE?keys=firmware"),
    ],
    "alarms": [
        Probe("GET", "/api/alarm/{alarm}", needs=("alarm",)),
        Probe("GET", "/api/alarm/info/{alarm}", needs=("alarm",)),
        Probe("POST", "/api/alarm/{alarm}/ack", needs=("alarm",)),
        Probe("POST", "/api/alarm/{alarm}/clear", needs=("alarm",)),
        Probe("DELETE", "/api/alarm/{alarm}", needs=("alarm",)),
        Probe("POST", "/api/alarm/{alarm}/assign/{admin_user}", needs=("alarm",)),
        Probe("DELETE", "/api/alarm/{alarm}/assign", needs=("alarm",)),
        Probe("GET", "/api/alarm/{alarm}/comment?" + PAGE, needs=("alarm",)),
        Probe(
            "POST",
            "/api/alarm/{alarm}/comment",
            lambda i: {"comment": {"text": "hacked"}},
            needs=("alarm",),
        ),
        Probe("DELETE", "/api/alarm/{alarm}/comment/{alarm_comment}", needs=("alarm_comment",)),
        Probe("GET", "/api/alarm/highestSeverity/DEVICE/{device}", listing=True),
        Probe("GET", "/api/alarm/DEVICE/{device}?" + PAGE, listing=True),
        Probe("GET", "/api/v2/alarm/DEVICE/{device}?" + PAGE, listing=True),
        Probe(
            "POST",
            "/api/alarmsQuery/find",
            lambda i: {
                "entityFilter": {
                    "type": "singleEntity",
                    "singleEntity": {"entityType": "DEVICE", "id": i["device"]},
                },
                "pageLink": {"pageSize": 10, "page": 0, "searchPropagatedAlarms": True},
            },
            listing=True,
        ),
    ],
    "claims": [
        # Claiming is done by customer users by device name inside their tenant (the
        # device's secret is the proof, tests/api/test_claims.py); another tenant's admin
        # must not reach the device at all, nor take it back from its customer.
        Probe(
            "POST",
            "/api/customer/device/A%20device/claim",
            lambda i: {"secretKey": "x"},
            attackers=("tenant_b_admin",),
        ),
        Probe("DELETE", "/api/customer/device/A%20device/claim"),
    ],
    "owner": [
        Probe("POST", "/api/owner/CUSTOMER/{customer2}/DEVICE/{device}"),
        Probe("POST", "/api/owner/CUSTOMER/{customer_b}/DEVICE/{device}"),
        Probe("POST", "/api/owner/TENANT/{tenant}/DEVICE/{device}"),
    ],
    "notifications": [
        Probe(
            "GET", "/api/notification/target/{notification_target}", needs=("notification_target",)
        ),
        Probe(
            "DELETE",
            "/api/notification/target/{notification_target}",
            needs=("notification_target",),
        ),
        Probe(
            "POST",
            "/api/notification/target",
            lambda i: {
                "id": {"id": i["notification_target"]},
                "name": "hacked",
                "configuration": {
                    "type": "PLATFORM_USERS",
                    "usersFilter": {"type": "TENANT_ADMINISTRATORS"},
                },
            },
            attackers=("tenant_b_admin",),  # a customer user may not manage targets at all
            needs=("notification_target",),
        ),
        Probe("GET", "/api/notification/targets?" + PAGE, listing=True),
        Probe(
            "GET",
            "/api/notification/request/{notification_request}",
            needs=("notification_request",),
        ),
        Probe(
            "DELETE",
            "/api/notification/request/{notification_request}",
            needs=("notification_request",),
        ),
        Probe("PUT", "/api/notification/{notification}/read", needs=("notification",)),
        Probe("DELETE", "/api/notification/{notification}", needs=("notification",)),
    ],
    "dashboards": [
        Probe("GET", "/api/dashboard/{dashboard}", needs=("dashboard",)),
        Probe("GET", "/api/dashboard/info/{dashboard}", needs=("dashboard",)),
        Probe("DELETE", "/api/dashboard/{dashboard}", needs=("dashboard",)),
        Probe(
            "POST",
            "/api/dashboard",
            lambda i: {"id": {"id": i["dashboard"]}, "title": "hijacked"},
            needs=("dashboard",),
        ),
        Probe("GET", "/api/customer/{customer}/dashboards?" + PAGE, listing=True),
        Probe(
            "POST",
            "/api/customer/{customer2}/dashboard/{dashboard}",
            attackers=B_ONLY,
            needs=("dashboard",),
        ),
        Probe(
            "POST",
            "/api/customer/{customer_b}/dashboard/{dashboard}",
            attackers=B_ONLY,
            needs=("dashboard",),
        ),
        Probe("DELETE", "/api/customer/{customer}/dashboard/{dashboard}", needs=("dashboard",)),
        Probe(
            "POST",
            "/api/dashboard/{dashboard}/customers",
            lambda i: [i["customer2"]],
            needs=("dashboard",),
        ),
        Probe(
            "POST",
            "/api/dashboard/{dashboard}/customers/add",
            lambda i: [i["customer_b"]],
            needs=("dashboard",),
        ),
        Probe(
            "POST",
            "/api/dashboard/{dashboard}/customers/remove",
            lambda i: [i["customer"]],
            needs=("dashboard",),
        ),
    ],
    "events": [
        Probe("GET", "/api/events/DEVICE/{device}/DEBUG_RULE_NODE?" + PAGE),
        Probe("GET", "/api/events/DEVICE/{device}?" + PAGE),
        Probe("POST", "/api/events/DEVICE/{device}?" + PAGE, lambda i: {"eventType": "ERROR"}),
        Probe("POST", "/api/events/DEVICE/{device}/clear", lambda i: {"eventType": "ERROR"}),
    ],
    "rule_engine_calls": [
        Probe("POST", "/api/rule-engine/DEVICE/{device}", lambda i: {"x": 1}),
        Probe("POST", "/api/rule-engine/DEVICE/{device}/100", lambda i: {"x": 1}),
        Probe("POST", "/api/rule-engine/DEVICE/{device}/Main/100", lambda i: {"x": 1}),
    ],
    "ota": [
        Probe("GET", "/api/otaPackage/{ota_package}", needs=("ota_package",)),
        Probe(
            "GET", "/api/otaPackage/info/{ota_package}", attackers=B_ONLY, needs=("ota_package",)
        ),
        Probe("GET", "/api/otaPackage/{ota_package}/download", needs=("ota_package",)),
        Probe(
            "POST", "/api/otaPackage/{ota_package}?checksumAlgorithm=SHA256", needs=("ota_package",)
        ),
        Probe("DELETE", "/api/otaPackage/{ota_package}", needs=("ota_package",)),
        Probe(
            "POST",
            "/api/otaPackage",
            lambda i: {
                "id": {"id": i["ota_package"]},
                "title": "hijacked",
                "version": "1",
                "type": "FIRMWARE",
                "deviceProfileId": {"id": i["device_profile"]},
            },
            needs=("ota_package",),
        ),
        Probe("GET", "/api/otaPackages?" + PAGE, listing=True, attackers=B_ONLY),
        Probe(
            "GET",
            "/api/otaPackages/{device_profile}/FIRMWARE?" + PAGE,
            listing=True,
            attackers=B_ONLY,
        ),
        Probe("GET", "/api/ota/device/{device}/status"),
        Probe("GET", "/api/ota/deviceProfile/{device_profile}/status", attackers=B_ONLY),
    ],
    "audit_logs": [
        Probe("GET", "/api/audit/logs/entity/DEVICE/{device}?" + PAGE, listing=True),
        Probe("GET", "/api/audit/logs/customer/{customer}?" + PAGE, listing=True),
        Probe("GET", "/api/audit/logs/user/{admin_user}?" + PAGE, listing=True),
    ],
}

EXEMPT_ROUTES = {
    ("GET", "/api/tenant/{tenant_id}/users"): "listed under users",
    ("GET", "/api/admin/settings/{key}"): "names a settings kind, not an entity: each caller "
    "reads its own tenant's (or the system's) settings (tests/api/test_notifications.py)",
    ("POST", "/api/tenantProfile/{profile_id}/default"): "system-level: no tenant owns it",
    ("GET", "/api/tenantProfile/{profile_id}"): "system-level: no tenant owns it",
    ("DELETE", "/api/tenantProfile/{profile_id}"): "system-level: no tenant owns it",
    ("GET", "/api/tenantProfileInfo/{profile_id}"): "system-level: no tenant owns it",
}
"""Routes with an id that this matrix deliberately does not probe, and why."""


def mounted_routes() -> set[tuple[str, str]]:
    """(method, path) of every REST route the app mounts (FastAPI nests included routers)."""
    from industryos.api import app

    routers = [*app.ROUTERS, *getattr(app, "LAST_ROUTERS", [])]
    return {
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def _segments_match(route_path: str, probe_path: str) -> bool:
    """True when ``probe_path`` (ids and enum values filled in) is a request to the route."""
    route = route_path.split("/")
    probe = probe_path.split("?")[0].split("/")
    return len(route) == len(probe) and all(
        r == p or r.startswith("{") for r, p in zip(route, probe, strict=True)
    )


def is_mounted(method: str, path: str, mounted: set[tuple[str, str]]) -> bool:
    """True when a request ``method path`` reaches one of the ``mounted`` routes."""
    return any(m == method and _segments_match(p, path) for m, p in mounted)


def _probe_mounted(probe: Probe, mounted: set[tuple[str, str]]) -> bool:
    return is_mounted(probe.method, probe.path, mounted)


def test_every_id_route_is_probed() -> None:
    """Every mounted route with an id in its path is probed above or exempted with a reason."""
    probes = [p for group in PROBES.values() for p in group]
    unprobed = []
    for method, path in sorted(mounted_routes()):
        if "{" not in path or path.startswith(("/api/auth", "/api/noauth")):
            continue
        if (method, path) in EXEMPT_ROUTES:
            continue
        if not any(p.method == method and _segments_match(path, p.path) for p in probes):
            unprobed.append((method, path))
    assert unprobed == [], f"routes with ids that no isolation probe covers: {unprobed}"


async def _login_new_customer_user(
    platform: Platform, admin: httpx.AsyncClient, tenant_id: str, title: str
) -> tuple[str, httpx.AsyncClient]:
    customer = (await admin.post("/api/customer", json={"title": title})).json()
    email = f"u-{uuid.uuid4().hex[:8]}@iso.test"
    await platform.core.users.create(
        User(
            email=email,
            authority=Authority.CUSTOMER_USER,
            tenant_id=uuid.UUID(tenant_id),
            customer_id=uuid.UUID(customer["id"]["id"]),
        ),
        "password1",
    )
    return customer["id"]["id"], await platform.login(email, "password1")


async def _world(platform: Platform) -> World:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    mounted = mounted_routes()
    customer2, other_user = await _login_new_customer_user(
        platform, a.admin, a.tenant_id, "A Customer 2"
    )
    device = (await a.admin.post("/api/device", json={"name": "A device"})).json()
    ids = {
        "tenant": a.tenant_id,
        "customer": a.customer_id,
        "customer2": customer2,
        "customer_b": b.customer_id,
        "device": device["id"]["id"],
        "device_profile": device["deviceProfileId"]["id"],
        "user": (await a.customer_user.get("/api/auth/user")).json()["id"]["id"],
        "admin_user": (await a.admin.get("/api/auth/user")).json()["id"]["id"],
    }
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{ids['device']}")
    assert assigned.status_code == 200, assigned.text
    if ("POST", "/api/asset") in mounted:
        asset = await a.admin.post("/api/asset", json={"name": "A asset", "type": "building"})
        assert asset.status_code == 200, asset.text
        ids["asset"] = asset.json()["id"]["id"]
        ids["asset_profile"] = asset.json()["assetProfileId"]["id"]
        await a.admin.post(f"/api/customer/{a.customer_id}/asset/{ids['asset']}")
    relation = {
        "from": {"entityType": "CUSTOMER", "id": a.customer_id},
        "to": {"entityType": "DEVICE", "id": ids["device"]},
        "type": "Contains",
    }
    assert (await a.admin.post("/api/v2/relation", json=relation)).status_code == 200
    base = f"/api/plugins/telemetry/DEVICE/{ids['device']}"
    if ("POST", "/api/plugins/telemetry/{entity_type}/{entity_id}/timeseries/{scope}") in mounted:
        saved = await a.admin.post(
            f"{base}/timeseries/ANY", json={"ts": 1000, "values": {"temperature": 21}}
        )
        assert saved.status_code == 200, saved.text
        saved = await a.admin.post(f"{base}/attributes/SERVER_SCOPE", json={"firmware": "1.0"})
        assert saved.status_code == 200, saved.text
    if ("POST", "/api/alarm") in mounted:
        alarm = await a.admin.post(
            "/api/alarm",
            json={
                "type": "Overheat",
                "originator": {"entityType": "DEVICE", "id": ids["device"]},
                "severity": "CRITICAL",
            },
        )
        assert alarm.status_code == 200, alarm.text
        ids["alarm"] = alarm.json()["id"]["id"]
        comment = await a.admin.post(
            f"/api/alarm/{ids['alarm']}/comment", json={"comment": {"text": "seen"}}
        )
        assert comment.status_code == 200, comment.text
        ids["alarm_comment"] = comment.json()["id"]["id"]
    if ("POST", "/api/notification/{kind}") in mounted:
        target = await a.admin.post(
            "/api/notification/target",
            json={
                "name": "A customer users",
                "configuration": {
                    "type": "PLATFORM_USERS",
                    "usersFilter": {"type": "CUSTOMER_USERS", "customerId": a.customer_id},
                },
            },
        )
        assert target.status_code == 200, target.text
        ids["notification_target"] = target.json()["id"]["id"]
        template = {
            "notificationType": "GENERAL",
            "configuration": {
                "deliveryMethodsTemplates": {"WEB": {"method": "WEB", "subject": "s", "body": "b"}}
            },
        }
        request = await a.admin.post(
            "/api/notification/request",
            json={"targets": [ids["notification_target"]], "template": template},
        )
        assert request.status_code == 200, request.text
        ids["notification_request"] = request.json()["id"]["id"]
        await platform.core.notifications.center.wait_idle()
        inbox = await a.customer_user.get("/api/notifications?" + PAGE)
        ids["notification"] = inbox.json()["data"][0]["id"]["id"]
    if ("POST", "/api/dashboard") in mounted:
        dashboard = await a.admin.post("/api/dashboard", json={"title": "A dashboard"})
        assert dashboard.status_code == 200, dashboard.text
        ids["dashboard"] = dashboard.json()["id"]["id"]
        shared = await a.admin.post(f"/api/customer/{a.customer_id}/dashboard/{ids['dashboard']}")
        assert shared.status_code == 200, shared.text
    if ("POST", "/api/otaPackage") in mounted:
        from industryos.api.routes import ota as ota_routes

        ota_routes.install(platform.app, platform.core.ota)
        package = await a.admin.post(
            "/api/otaPackage",
            json={
                "title": "A firmware",
                "version": "1.0",
                "type": "FIRMWARE",
                "deviceProfileId": {"id": ids["device_profile"]},
            },
        )
        assert package.status_code == 200, package.text
        ids["ota_package"] = package.json()["id"]["id"]
        stored = await a.admin.post(
            f"/api/otaPackage/{ids['ota_package']}?checksumAlgorithm=SHA256",
            files={"file": ("fw.bin", b"firmware of A", "application/octet-stream")},
        )
        assert stored.status_code == 200, stored.text
    # Attackers' own device, for relation probes that point from/to something they own.
    own = await b.admin.post("/api/device", json={"name": "B device"})
    ids["own"] = own.json()["id"]["id"]
    attackers = {"tenant_b_admin": b.admin, "other_customer_user": other_user}
    return World(ids, attackers, mounted)


async def snapshot(platform: Platform) -> dict[str, list[str]]:
    """Every row of every table, as sorted text (audit rows excluded: reads may be audited)."""
    tables: dict[str, list[str]] = {}
    async with platform.core.db.read() as conn:
        existing = set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
        for table in metadata.sorted_tables:
            if table.name not in existing or table.name == "audit_log":
                continue
            rows = (await conn.execute(sa.select(table))).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables


def _refused(response: httpx.Response, listing: bool) -> str | None:
    """None when the answer is a refusal (or, for lists, empty); else what went wrong."""
    if response.status_code in (403, 404):
        body = response.json()
        if not body.keys() >= ERROR_KEYS:
            return f"{response.status_code} without the error body: {body}"
        return None
    if listing and response.status_code == 200:
        body = response.json()
        data = body["data"] if isinstance(body, dict) and "data" in body else body
        return None if data == [] else f"200 with data: {data}"
    return f"{response.status_code}: {response.text[:200]}"


async def test_other_tenant_and_other_customer_are_refused(platform: Platform) -> None:
    """The whole matrix on one world (building it costs a dozen password hashes)."""
    world = await _world(platform)
    before = await snapshot(platform)
    failures: list[str] = []
    unmounted: list[str] = []
    for resource, group in sorted(PROBES.items()):
        probes = [p for p in group if _probe_mounted(p, world.mounted)]
        if not probes:
            unmounted.append(resource)
        for probe in probes:
            if any(need not in world.ids for need in probe.needs):
                failures.append(f"{resource}: {probe.path}: could not create {probe.needs}")
                continue
            path = probe.path.format(**world.ids)
            for attacker in probe.attackers:
                body = probe.body(world.ids) if probe.body else None
                response = await world.attackers[attacker].request(probe.method, path, json=body)
                problem = _refused(response, probe.listing)
                if problem:
                    failures.append(f"{resource}: {attacker} {probe.method} {path} -> {problem}")
    assert failures == []
    assert await snapshot(platform) == before, "a refused request changed the database"
    if unmounted:
        pytest.skip(f"probed every mounted resource; not mounted yet: {', '.join(unmounted)}")
