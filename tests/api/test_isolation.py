"""Tenant and customer isolation over every REST resource (design contract "Tenant isolation").

Tenant A owns a device, a customer C1 (with user U1) that the device and an asset are
assigned to, profiles, a relation, telemetry and attributes, a rule chain, a persistent RPC
and more. Tenant B's admin and U2, a user of A's *other* customer C2, try every read and
write on A's things. Each attempt must be refused with 403/404 and the error body (list
endpoints may instead answer an empty list: nothing of A in it; bulk operations a 200 in
which nothing succeeded), and the whole database must be unchanged afterwards.

Everything runs on a real :class:`~industryos.node.Node` (``node_platform``), so the app is
the one the node serves, with every route it installs. Every probe must hit a served route
(a probe of no route is stale and fails), and :func:`test_every_id_route_is_probed` fails
when a served route taking an id appears that no probe covers, so new routes cannot slip past.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from industryos.api.static import is_reserved
from industryos.entities.models import Authority, User
from industryos.rules.events.model import EventType
from industryos.storage.tables import metadata
from tests.api.conftest import NodePlatform, Platform

Json = dict[str, Any]
ERROR_KEYS = {"status", "message", "errorCode", "timestamp"}
PAGE = "pageSize=10&page=0"


@dataclass
class World:
    """Ids of tenant A's entities, and the attackers' clients."""

    ids: dict[str, str]
    attackers: dict[str, httpx.AsyncClient]


@dataclass(frozen=True)
class Probe:
    """One request an attacker must not get through."""

    method: str
    path: str
    body: Callable[[dict[str, str]], Any] | None = None
    listing: bool = False
    """A list endpoint: an empty answer (nothing of A) is as good as a refusal."""
    bulk: bool = False
    """A bulk operation: a 200 in which no id succeeded is as good as a refusal."""
    reference: bool = False
    """A's id is in the body of a create: a 400 that treats it as non-existent also refuses."""
    attackers: tuple[str, ...] = ("tenant_b_admin", "other_customer_user")


def _ref(kind: str, key: str) -> Callable[[dict[str, str]], Json]:
    return lambda ids: {"entityType": kind, "id": ids[key]}


def _single_device(ids: dict[str, str]) -> Json:
    """An entity query for A's device alone."""
    return {
        "entityFilter": {
            "type": "singleEntity",
            "singleEntity": {"entityType": "DEVICE", "id": ids["device"]},
        },
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "pageLink": {"pageSize": 10, "page": 0},
    }


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
        Probe("GET", "/api/asset/{asset}"),
        Probe("GET", "/api/asset/info/{asset}"),
        Probe("DELETE", "/api/asset/{asset}"),
        Probe(
            "POST",
            "/api/asset",
            lambda i: {"id": {"id": i["asset"]}, "name": "hijacked"},
        ),
        Probe("POST", "/api/customer/{customer2}/asset/{asset}", attackers=B_ONLY),
        Probe("DELETE", "/api/customer/asset/{asset}"),
        Probe("GET", "/api/customer/{customer}/assets?" + PAGE, listing=True),
        Probe("GET", "/api/customer/{customer}/assetInfos?" + PAGE, listing=True),
        Probe("GET", "/api/assets?assetIds={asset}", listing=True),
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
        Probe("GET", "/api/alarm/{alarm}"),
        Probe("GET", "/api/alarm/info/{alarm}"),
        Probe("POST", "/api/alarm/{alarm}/ack"),
        Probe("POST", "/api/alarm/{alarm}/clear"),
        Probe("DELETE", "/api/alarm/{alarm}"),
        Probe("POST", "/api/alarm/{alarm}/assign/{admin_user}"),
        Probe("DELETE", "/api/alarm/{alarm}/assign"),
        Probe("GET", "/api/alarm/{alarm}/comment?" + PAGE),
        Probe(
            "POST",
            "/api/alarm/{alarm}/comment",
            lambda i: {"comment": {"text": "hacked"}},
        ),
        Probe("DELETE", "/api/alarm/{alarm}/comment/{alarm_comment}"),
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
        Probe(
            "POST",
            "/api/alarmsQuery/count",
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
        Probe("GET", "/api/notification/target/{notification_target}"),
        Probe(
            "DELETE",
            "/api/notification/target/{notification_target}",
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
        ),
        Probe("GET", "/api/notification/targets?" + PAGE, listing=True),
        Probe(
            "GET",
            "/api/notification/request/{notification_request}",
        ),
        Probe(
            "DELETE",
            "/api/notification/request/{notification_request}",
        ),
        Probe("PUT", "/api/notification/{notification}/read"),
        Probe("DELETE", "/api/notification/{notification}"),
    ],
    "dashboards": [
        Probe("GET", "/api/dashboard/{dashboard}"),
        Probe("GET", "/api/dashboard/info/{dashboard}"),
        Probe("DELETE", "/api/dashboard/{dashboard}"),
        Probe(
            "POST",
            "/api/dashboard",
            lambda i: {"id": {"id": i["dashboard"]}, "title": "hijacked"},
        ),
        Probe("GET", "/api/customer/{customer}/dashboards?" + PAGE, listing=True),
        Probe(
            "POST",
            "/api/customer/{customer2}/dashboard/{dashboard}",
            attackers=B_ONLY,
        ),
        Probe(
            "POST",
            "/api/customer/{customer_b}/dashboard/{dashboard}",
            attackers=B_ONLY,
        ),
        Probe("DELETE", "/api/customer/{customer}/dashboard/{dashboard}"),
        Probe("POST", "/api/customer/public/dashboard/{dashboard}"),
        Probe("DELETE", "/api/customer/public/dashboard/{dashboard}"),
        Probe(
            "POST",
            "/api/dashboard/{dashboard}/customers",
            lambda i: [i["customer2"]],
        ),
        Probe(
            "POST",
            "/api/dashboard/{dashboard}/customers/add",
            lambda i: [i["customer_b"]],
        ),
        Probe(
            "POST",
            "/api/dashboard/{dashboard}/customers/remove",
            lambda i: [i["customer"]],
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
        Probe("GET", "/api/otaPackage/{ota_package}"),
        Probe("GET", "/api/otaPackage/info/{ota_package}", attackers=B_ONLY),
        Probe("GET", "/api/otaPackage/{ota_package}/download"),
        Probe("POST", "/api/otaPackage/{ota_package}?checksumAlgorithm=SHA256"),
        Probe("DELETE", "/api/otaPackage/{ota_package}"),
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
    "rule_chains": [
        Probe("GET", "/api/ruleChain/{rule_chain}"),
        Probe("GET", "/api/ruleChain/{rule_chain}/metadata"),
        Probe("GET", "/api/ruleChain/{rule_chain}/stats"),
        Probe("DELETE", "/api/ruleChain/{rule_chain}"),
        Probe("POST", "/api/ruleChain/{rule_chain}/root"),
        Probe(
            "POST",
            "/api/ruleChain",
            lambda i: {"id": {"id": i["rule_chain"]}, "name": "hijacked", "type": "CORE"},
        ),
        Probe(
            "POST",
            "/api/ruleChain/metadata",
            lambda i: {"ruleChainId": {"id": i["rule_chain"]}, "nodes": [], "connections": []},
        ),
    ],
    "rpc": [
        Probe("POST", "/api/rpc/oneway/{device}", lambda i: {"method": "reboot"}),
        Probe("POST", "/api/rpc/twoway/{device}", lambda i: {"method": "getState"}),
        Probe("POST", "/api/plugins/rpc/oneway/{device}", lambda i: {"method": "reboot"}),
        Probe("POST", "/api/plugins/rpc/twoway/{device}", lambda i: {"method": "getState"}),
        Probe(
            "POST",
            "/api/rpc/oneway/{device}",
            lambda i: {"method": "reboot", "persistent": True},
        ),
        Probe("GET", "/api/rpc/persistent/device/{device}?" + PAGE, listing=True),
        Probe("GET", "/api/rpc/persistent/{rpc}"),
        Probe("DELETE", "/api/rpc/persistent/{rpc}"),
    ],
    "entity_query": [
        Probe("POST", "/api/entitiesQuery/find", lambda i: _single_device(i), listing=True),
        Probe("POST", "/api/entitiesQuery/count", lambda i: _single_device(i), listing=True),
    ],
    "bulk": [
        Probe(
            "POST", "/api/devices/bulk/delete", lambda i: {"deviceIds": [i["device"]]}, bulk=True
        ),
        Probe(
            "POST", "/api/devices/bulk/unassign", lambda i: {"deviceIds": [i["device"]]}, bulk=True
        ),
        Probe(
            "POST",
            "/api/devices/bulk/assign",
            lambda i: {"deviceIds": [i["device"]], "customerId": i["customer_b"]},
            bulk=True,
        ),
    ],
    "references": [
        # Creates and updates whose body (not path) names one of A's entities; ThingsBoard
        # answers 400 "referencing non-existing ..." for another tenant's entity.
        Probe(
            "POST",
            "/api/alarm",
            lambda i: {
                "type": "Spoofed",
                "originator": {"entityType": "DEVICE", "id": i["device"]},
                "severity": "MAJOR",
            },
        ),
        Probe(
            "POST",
            "/api/alarm",
            lambda i: {
                "id": {"id": i["alarm"]},
                "type": "Overheat",
                "originator": _ref("DEVICE", "own")(i),
                "severity": "WARNING",
            },
        ),
        Probe(
            "POST",
            "/api/device",
            lambda i: {"name": "on A's profile", "deviceProfileId": {"id": i["device_profile"]}},
            reference=True,
        ),
        Probe(
            "POST",
            "/api/asset",
            lambda i: {"name": "on A's profile", "assetProfileId": {"id": i["asset_profile"]}},
            reference=True,
        ),
        Probe(
            "POST",
            "/api/user",
            lambda i: {
                "email": "planted@a.test",
                "authority": "CUSTOMER_USER",
                "customerId": {"id": i["customer"]},
            },
            reference=True,
        ),
        Probe(
            "POST",
            "/api/otaPackage",
            lambda i: {
                "title": "planted",
                "version": "9",
                "type": "FIRMWARE",
                "deviceProfileId": {"id": i["device_profile"]},
            },
            reference=True,
        ),
        Probe(
            "POST",
            "/api/notification/request",
            lambda i: {
                "targets": [i["notification_target"]],
                "template": {
                    "notificationType": "GENERAL",
                    "configuration": {
                        "deliveryMethodsTemplates": {
                            "WEB": {"method": "WEB", "subject": "s", "body": "b"}
                        }
                    },
                },
            },
            attackers=B_ONLY,
        ),
        Probe(
            "POST",
            "/api/entitiesQuery/find/keys?timeseries=true&attributes=true",
            lambda i: _single_device(i),
            listing=True,
        ),
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
    ("GET", "/api/components/{component_type}"): "the rule-node catalogue: the same for all",
    ("GET", "/api/component/{clazz}"): "the rule-node catalogue: the same for all",
    ("WEBSOCKET", "/api/ws/plugins/{plugin}"): "names a plugin, not an entity; subscriptions "
    "carry entity ids in commands, checked per tenant in tests/api/ws",
    ("GET", "/{path:path}"): "the web UI's fallback (static files, never /api paths)",
    ("HEAD", "/{path:path}"): "the web UI's fallback (static files, never /api paths)",
}
"""Routes with an id that this matrix deliberately does not probe, and why."""

EXEMPT_PREFIXES = {
    "/api/auth": "the caller's own session",
    "/api/noauth": "before login: tokens of activation/reset links, no entity ids",
    "/api/v1/": "the device API: the path's access token is the device's credential, so a "
    "request can only reach the device it authenticates (tests/transport/http)",
}
"""Path prefixes the id check skips, and why."""


def _segments_match(route_path: str, probe_path: str) -> bool:
    """True when ``probe_path`` (ids and enum values filled in) is a request to the route."""
    route = route_path.split("/")
    probe = probe_path.split("?")[0].split("/")
    return len(route) == len(probe) and all(
        r == p or r.startswith("{") for r, p in zip(route, probe, strict=True)
    )


def is_served(method: str, path: str, served: set[tuple[str, str]]) -> bool:
    """True when a request ``method path`` reaches one of the ``served`` routes."""
    return any(m == method and _segments_match(p, path) for m, p in served)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the same routes on both
async def test_every_id_route_is_probed(node_platform: NodePlatform) -> None:
    """Every route the node serves with an id in its path is probed or exempted with a reason."""
    probes = [p for group in PROBES.values() for p in group]
    unprobed = []
    for method, path in sorted(node_platform.routes()):
        if "{" not in path or path.startswith(tuple(EXEMPT_PREFIXES)):
            continue
        if (method, path) in EXEMPT_ROUTES:
            continue
        if not any(p.method == method and _segments_match(path, p.path) for p in probes):
            unprobed.append((method, path))
    assert unprobed == [], f"routes with ids that no isolation probe covers: {unprobed}"
    stale = [route for route in EXEMPT_ROUTES if route not in node_platform.routes()]
    assert stale == [], f"exemptions of routes the node no longer serves: {stale}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_ui_fallback_shadows_no_served_route(node_platform: NodePlatform) -> None:
    """A GET route outside the API's prefixes (``/metrics``) answers itself, not the web UI.

    The UI's catch-all must stay the last route even though the node installs routes after
    ``create_app``; otherwise the guard above would count a route nobody can reach.
    """
    client = node_platform.client()
    plain = [
        path
        for method, path in sorted(node_platform.routes())
        if method == "GET" and "{" not in path and not is_reserved(path)
    ]
    assert "/metrics" in plain
    answered_by_ui = []
    for path in plain:
        response = await client.get(path)
        if response.headers.get("content-type", "").startswith("text/html"):
            answered_by_ui.append(path)
    assert answered_by_ui == []


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


async def _ok(response: Any) -> Json:
    """The JSON of a setup request that must succeed."""
    answer: httpx.Response = await response
    assert answer.status_code == 200, f"{answer.request.url}: {answer.text}"
    body: Json = answer.json() if answer.content else {}
    return body


async def _world(platform: NodePlatform) -> World:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    customer2, other_user = await _login_new_customer_user(
        platform, a.admin, a.tenant_id, "A Customer 2"
    )
    device = await _ok(a.admin.post("/api/device", json={"name": "A device"}))
    ids = {
        "tenant": a.tenant_id,
        "customer": a.customer_id,
        "customer2": customer2,
        "customer_b": b.customer_id,
        "device": device["id"]["id"],
        "device_profile": device["deviceProfileId"]["id"],
        "user": (await _ok(a.customer_user.get("/api/auth/user")))["id"]["id"],
        "admin_user": (await _ok(a.admin.get("/api/auth/user")))["id"]["id"],
    }
    await _ok(a.admin.post(f"/api/customer/{a.customer_id}/device/{ids['device']}"))
    asset = await _ok(a.admin.post("/api/asset", json={"name": "A asset", "type": "building"}))
    ids["asset"] = asset["id"]["id"]
    ids["asset_profile"] = asset["assetProfileId"]["id"]
    await _ok(a.admin.post(f"/api/customer/{a.customer_id}/asset/{ids['asset']}"))
    relation = {
        "from": {"entityType": "CUSTOMER", "id": a.customer_id},
        "to": {"entityType": "DEVICE", "id": ids["device"]},
        "type": "Contains",
    }
    await _ok(a.admin.post("/api/v2/relation", json=relation))
    base = f"/api/plugins/telemetry/DEVICE/{ids['device']}"
    series = {"ts": 1000, "values": {"temperature": 21}}
    await _ok(a.admin.post(f"{base}/timeseries/ANY", json=series))
    await _ok(a.admin.post(f"{base}/attributes/SERVER_SCOPE", json={"firmware": "1.0"}))
    alarm = await _ok(
        a.admin.post(
            "/api/alarm",
            json={
                "type": "Overheat",
                "originator": {"entityType": "DEVICE", "id": ids["device"]},
                "severity": "CRITICAL",
            },
        )
    )
    ids["alarm"] = alarm["id"]["id"]
    comment = await _ok(
        a.admin.post(f"/api/alarm/{ids['alarm']}/comment", json={"comment": {"text": "seen"}})
    )
    ids["alarm_comment"] = comment["id"]["id"]
    target = await _ok(
        a.admin.post(
            "/api/notification/target",
            json={
                "name": "A customer users",
                "configuration": {
                    "type": "PLATFORM_USERS",
                    "usersFilter": {"type": "CUSTOMER_USERS", "customerId": a.customer_id},
                },
            },
        )
    )
    ids["notification_target"] = target["id"]["id"]
    template = {
        "notificationType": "GENERAL",
        "configuration": {
            "deliveryMethodsTemplates": {"WEB": {"method": "WEB", "subject": "s", "body": "b"}}
        },
    }
    request = await _ok(
        a.admin.post(
            "/api/notification/request",
            json={"targets": [ids["notification_target"]], "template": template},
        )
    )
    ids["notification_request"] = request["id"]["id"]
    await platform.core.notifications.center.wait_idle()
    inbox = await _ok(a.customer_user.get("/api/notifications?" + PAGE))
    ids["notification"] = inbox["data"][0]["id"]["id"]
    dashboard = await _ok(a.admin.post("/api/dashboard", json={"title": "A dashboard"}))
    ids["dashboard"] = dashboard["id"]["id"]
    await _ok(a.admin.post(f"/api/customer/{a.customer_id}/dashboard/{ids['dashboard']}"))
    package = await _ok(
        a.admin.post(
            "/api/otaPackage",
            json={
                "title": "A firmware",
                "version": "1.0",
                "type": "FIRMWARE",
                "deviceProfileId": {"id": ids["device_profile"]},
            },
        )
    )
    ids["ota_package"] = package["id"]["id"]
    await _ok(
        a.admin.post(
            f"/api/otaPackage/{ids['ota_package']}?checksumAlgorithm=SHA256",
            files={"file": ("fw.bin", b"firmware of A", "application/octet-stream")},
        )
    )
    chain = await _ok(a.admin.post("/api/ruleChain", json={"name": "A chain", "type": "CORE"}))
    ids["rule_chain"] = chain["id"]["id"]
    # Stored until the device connects; it expires in an hour, long after this test.
    expires = int(time.time() * 1000) + 3_600_000
    call = {"method": "reboot", "persistent": True, "expirationTime": expires}
    ids["rpc"] = (await _ok(a.admin.post(f"/api/rpc/oneway/{ids['device']}", json=call)))["rpcId"]
    # Attackers' own device, for relation probes that point from/to something they own.
    own = await _ok(b.admin.post("/api/device", json={"name": "B device"}))
    ids["own"] = own["id"]["id"]
    attackers = {"tenant_b_admin": b.admin, "other_customer_user": other_user}
    return World(ids, attackers)


ENGINE_BOOKKEEPING = (EventType.LC_EVENT.value, EventType.STATS.value)
"""Rule events the rule engine writes on its own timers (chains starting, node counters)."""


async def snapshot(platform: Platform) -> dict[str, list[str]]:
    """Every row of every table, as sorted text.

    Audit rows are left out (reads may be audited), and so are the rule engine's lifecycle
    and statistics events: a real node writes them in the background, whatever is requested.
    """
    tables: dict[str, list[str]] = {}
    async with platform.core.db.read() as conn:
        existing = set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
        for table in metadata.sorted_tables:
            if table.name not in existing or table.name == "audit_log":
                continue
            query = sa.select(table)
            if table.name == "rule_event":
                query = query.where(table.c.event_type.not_in(ENGINE_BOOKKEEPING))
            rows = (await conn.execute(query)).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
    return tables


def _refused(response: httpx.Response, probe: Probe) -> str | None:
    """None when the answer refuses (or lists nothing, or bulk-fails, or finds no reference)."""
    body = response.json() if response.content else None
    if response.status_code in (403, 404):
        if not isinstance(body, dict) or not body.keys() >= ERROR_KEYS:
            return f"{response.status_code} without the error body: {body}"
        return None
    if probe.listing and response.status_code == 200:
        data = body["data"] if isinstance(body, dict) and "data" in body else body
        if isinstance(data, dict):  # key listings: {"timeseries": [], "attribute": [], ...}
            data = [item for values in data.values() for item in values]
        return None if data in ([], 0) else f"200 with data: {data}"
    if probe.reference and response.status_code == 400:
        if not isinstance(body, dict) or not body.keys() >= ERROR_KEYS:
            return f"400 without the error body: {body}"
        return None
    if probe.bulk and response.status_code == 200:
        succeeded = body.get("succeeded") if isinstance(body, dict) else body
        return None if succeeded == [] else f"200 with successes: {body}"
    return f"{response.status_code}: {response.text[:200]}"


async def test_other_tenant_and_other_customer_are_refused(node_platform: NodePlatform) -> None:
    """The whole matrix on one world (building it costs a dozen password hashes)."""
    platform = node_platform
    world = await _world(platform)
    served = platform.routes()
    await platform.settle()
    before = await snapshot(platform)
    failures: list[str] = []
    for resource, group in sorted(PROBES.items()):
        for probe in group:
            if not is_served(probe.method, probe.path, served):
                failures.append(
                    f"{resource}: stale probe, no such route: {probe.method} {probe.path}"
                )
                continue
            path = probe.path.format(**world.ids)
            for attacker in probe.attackers:
                body = probe.body(world.ids) if probe.body else None
                response = await world.attackers[attacker].request(probe.method, path, json=body)
                problem = _refused(response, probe)
                if problem:
                    failures.append(f"{resource}: {attacker} {probe.method} {path} -> {problem}")
    assert failures == [], "\n".join(failures)
    await platform.settle()
    assert await snapshot(platform) == before, "a refused request changed the database"
