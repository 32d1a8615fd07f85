"""Bad input gets a clear 400 with the error body, never a crash and never a write.

Malformed JSON, wrong types, unknown entity types, page sizes over the limit and ids that
are not UUIDs, across the REST resources. Every case must answer 400 with
``{status, message, errorCode, timestamp}``; afterwards the database and the rule-engine
input are exactly as before. The cases run on a real node (``node_platform``), so every
route the node serves is reachable; a case whose route the node does not serve is stale and
fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import NodePlatform
from tests.api.test_isolation import ERROR_KEYS, is_served, snapshot

NOT_JSON = b'{"name": "half'
T = "/api/plugins/telemetry"


@dataclass(frozen=True)
class Case:
    """One bad request; ``{device}``/``{customer}`` in the path or text body are filled in."""

    method: str
    path: str
    json: Any = None
    raw: bytes | None = None


def _rel(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "from": {"entityType": "DEVICE", "id": "{device}"},
        "to": {"entityType": "CUSTOMER", "id": "{customer}"},
        "type": "Contains",
    }
    return {**body, **overrides}


CASES: dict[str, list[Case]] = {
    "malformed_json": [
        Case("POST", "/api/device", raw=NOT_JSON),
        Case("POST", "/api/customer", raw=NOT_JSON),
        Case("POST", "/api/asset", raw=NOT_JSON),
        Case("POST", "/api/v2/relation", raw=NOT_JSON),
        Case("POST", "/api/relation", raw=b"[}"),
        Case("POST", "/api/relations", raw=NOT_JSON),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY", raw=NOT_JSON),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY", raw=b""),
        Case("POST", T + "/DEVICE/{device}/attributes/SERVER_SCOPE", raw=NOT_JSON),
        Case("POST", T + "/{device}/SHARED_SCOPE", raw=b"{'single': 'quotes'}"),
        Case("POST", "/api/ruleChain", raw=NOT_JSON),
        Case("POST", "/api/ruleChain/metadata", raw=NOT_JSON),
        Case("POST", "/api/rpc/oneway/{device}", raw=NOT_JSON),
        Case("POST", "/api/plugins/rpc/twoway/{device}", raw=NOT_JSON),
        Case("POST", "/api/entitiesQuery/find", raw=NOT_JSON),
        Case("POST", "/api/alarmsQuery/find", raw=NOT_JSON),
        Case("POST", "/api/events/DEVICE/{device}?pageSize=10&page=0", raw=NOT_JSON),
        Case("POST", "/api/rule-engine/DEVICE/{device}", raw=NOT_JSON),
        Case("POST", "/api/devices/bulk/delete", raw=NOT_JSON),
    ],
    "wrong_types": [
        Case("POST", "/api/device", json={"name": 123}),
        Case("POST", "/api/device", json={"name": ["a"]}),
        Case("POST", "/api/device", json=["not", "an", "object"]),
        Case("POST", "/api/customer", json={"title": {"nested": True}}),
        Case("POST", "/api/v2/relation", json=_rel(type=5)),
        Case("POST", "/api/v2/relation", json=_rel(type="")),
        Case("POST", "/api/v2/relation", json=_rel(typeGroup="NOPE")),
        Case("POST", "/api/v2/relation", json=_rel(to="a string")),
        Case("POST", "/api/relations", json={"parameters": {"rootId": "{device}"}}),
        Case(
            "POST",
            "/api/relations",
            json={"parameters": {"rootId": "{device}", "rootType": "DEVICE", "maxLevel": "x"}},
        ),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY", json="just a string"),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY", json=[1, 2]),
        Case(
            "POST", T + "/DEVICE/{device}/timeseries/ANY", json={"ts": "soon", "values": {"a": 1}}
        ),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY", json={"ts": 1, "values": [1]}),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY", json={"a": None}),
        Case("POST", T + "/DEVICE/{device}/timeseries/ANY/-5", json={"a": 1}),
        Case("POST", T + "/DEVICE/{device}/attributes/SERVER_SCOPE", json=[{"a": 1}]),
        Case("POST", T + "/DEVICE/{device}/attributes/SERVER_SCOPE", json={"": 1}),
        Case("POST", T + "/DEVICE/{device}/attributes/SERVER_SCOPE", json={}),
        Case("POST", T + "/DEVICE/{device}/attributes/CLIENT_SCOPE", json={"a": 1}),
        Case("GET", T + "/DEVICE/{device}/values/timeseries?keys=a&startTs=x&endTs=1"),
        Case("GET", T + "/DEVICE/{device}/values/timeseries?keys=a&startTs=0&endTs=9&agg=AVG"),
        Case("GET", T + "/DEVICE/{device}/values/timeseries?keys=a&startTs=0&endTs=9&orderBy=UP"),
        Case("GET", T + "/DEVICE/{device}/values/attributes/NO_SCOPE"),
        Case("DELETE", T + "/DEVICE/{device}/SERVER_SCOPE?keys="),
        Case("DELETE", T + "/DEVICE/{device}/timeseries/delete?keys=a&startTs=late&endTs=1"),
        Case("GET", "/api/tenant/devices?pageSize=10&page=0&sortOrder=SIDEWAYS"),
        Case("GET", "/api/tenant/devices?pageSize=10&page=0&sortProperty=password"),
        Case("POST", "/api/ruleChain", json={"name": 5}),
        Case("POST", "/api/ruleChain", json={"name": "x", "type": "SIDEWAYS"}),
        Case("POST", "/api/rpc/oneway/{device}", json={"params": {}}),
        Case("POST", "/api/rpc/oneway/{device}", json={"method": "m", "timeout": "soon"}),
        Case("POST", "/api/entitiesQuery/find", json={"entityFilter": "all"}),
        Case("POST", "/api/devices/bulk/delete", json={"deviceIds": "{device}"}),
    ],
    "unknown_entity_types": [
        Case("GET", "/api/relations?fromId={device}&fromType=FOO"),
        Case("GET", "/api/relations?toId={device}&toType=device_x"),
        Case("GET", "/api/relations/from/FOO/{device}"),
        Case("GET", "/api/relations/info/to/BAR/{device}"),
        Case("DELETE", "/api/relations?entityId={device}&entityType=BAR"),
        Case(
            "POST",
            "/api/v2/relation",
            json=_rel(**{"from": {"entityType": "FOO", "id": "{device}"}}),
        ),
        Case(
            "POST",
            "/api/v2/relation",
            json=_rel(to={"entityType": "WIDGET_TYPE", "id": "{device}"}),
        ),
        Case(
            "POST",
            "/api/relations",
            json={"parameters": {"rootId": "{device}", "rootType": "NOPE"}},
        ),
        Case(
            "POST",
            "/api/relations",
            json={
                "parameters": {"rootId": "{device}", "rootType": "DEVICE"},
                "filters": [{"entityTypes": ["UNKNOWN"]}],
            },
        ),
        Case("GET", T + "/FOO/{device}/values/timeseries"),
        Case("GET", T + "/DASHBOARD/{device}/values/attributes"),
        Case("POST", T + "/THING/{device}/timeseries/ANY", json={"a": 1}),
        Case("GET", "/api/audit/logs/entity/FOO/{device}?pageSize=10&page=0"),
        Case("GET", "/api/events/FOO/{device}?pageSize=10&page=0"),
        Case("POST", "/api/rule-engine/FOO/{device}", json={"a": 1}),
    ],
    "page_sizes": [
        Case("GET", "/api/tenant/devices?pageSize=100000&page=0"),
        Case("GET", "/api/tenant/deviceInfos?pageSize=100000&page=0"),
        Case("GET", "/api/customers?pageSize=1001&page=0"),
        Case("GET", "/api/tenant/assets?pageSize=5000&page=0"),
        Case("GET", "/api/audit/logs?pageSize=99999&page=0"),
        Case("GET", "/api/deviceProfiles?pageSize=99999&page=0"),
        Case("GET", "/api/users?pageSize=99999&page=0"),
        Case("GET", "/api/tenant/devices?pageSize=0&page=0"),
        Case("GET", "/api/tenant/devices?pageSize=10&page=-1"),
        Case("GET", "/api/customers?pageSize=ten&page=0"),
        Case("GET", "/api/ruleChains?pageSize=100000&page=0"),
        Case("GET", "/api/rpc/persistent/device/{device}?pageSize=100000&page=0"),
        Case("GET", "/api/events/DEVICE/{device}?pageSize=100000&page=0"),
        Case("GET", "/api/otaPackages?pageSize=100000&page=0"),
    ],
    "non_uuid_ids": [
        Case("GET", "/api/device/not-a-uuid"),
        Case("DELETE", "/api/device/1234"),
        Case("GET", "/api/device/xyz/credentials"),
        Case("GET", "/api/customer/xyz"),
        Case("POST", "/api/customer/xyz/device/{device}"),
        Case("DELETE", "/api/customer/device/xyz"),
        Case("GET", "/api/devices?deviceIds={device},nope"),
        Case("GET", "/api/asset/xyz"),
        Case("GET", "/api/user/xyz"),
        Case("GET", "/api/relations?fromId=xyz&fromType=DEVICE"),
        Case("GET", "/api/relations/to/DEVICE/xyz"),
        Case(
            "DELETE",
            "/api/v2/relation?fromId=xyz&fromType=DEVICE&relationType=A&toId={device}&toType=DEVICE",
        ),
        Case("POST", "/api/v2/relation", json=_rel(to={"entityType": "DEVICE", "id": "nope"})),
        Case("GET", T + "/DEVICE/xyz/values/timeseries"),
        Case("POST", T + "/xyz/SERVER_SCOPE", json={"a": 1}),
        Case("DELETE", T + "/DEVICE/xyz/SERVER_SCOPE?keys=a"),
        Case("GET", "/api/audit/logs/entity/DEVICE/xyz?pageSize=10&page=0"),
        Case("GET", "/api/ruleChain/xyz"),
        Case("GET", "/api/ruleChain/xyz/metadata"),
        Case("POST", "/api/rpc/oneway/xyz", json={"method": "m"}),
        Case("GET", "/api/rpc/persistent/xyz"),
        Case("GET", "/api/rpc/persistent/device/xyz?pageSize=10&page=0"),
        Case("GET", "/api/events/DEVICE/xyz?pageSize=10&page=0"),
        Case("POST", "/api/rule-engine/DEVICE/xyz", json={"a": 1}),
        Case("GET", "/api/otaPackage/xyz"),
        Case("POST", "/api/devices/bulk/delete", json={"deviceIds": ["nope"]}),
    ],
}


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids) if "{" in value and "}" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


async def _send(client: httpx.AsyncClient, case: Case, ids: dict[str, str]) -> httpx.Response:
    path = case.path.format(**ids)
    if case.raw is not None:
        headers = {"Content-Type": "application/json"}
        return await client.request(case.method, path, content=case.raw, headers=headers)
    if case.json is not None:
        return await client.request(case.method, path, json=_fill(case.json, ids))
    return await client.request(case.method, path)


@pytest.mark.parametrize("category", sorted(CASES))
async def test_bad_input_is_400_with_error_body_and_writes_nothing(
    node_platform: NodePlatform, category: str
) -> None:
    platform = node_platform
    a = await platform.new_tenant("A")
    device = (await a.admin.post("/api/device", json={"name": "target"})).json()["id"]["id"]
    ids = {"device": device, "customer": a.customer_id}
    served = platform.routes()
    await platform.settle()
    before = await snapshot(platform)
    published = platform.published()
    failures: list[str] = []
    for case in CASES[category]:
        if not is_served(case.method, case.path, served):
            failures.append(f"{case.method} {case.path}: stale case, no such route")
            continue
        response = await _send(a.admin, case, ids)
        body = response.json() if response.content else None
        if response.status_code != 400:
            failures.append(
                f"{case.method} {case.path}: {response.status_code} {response.text[:160]}"
            )
        elif not isinstance(body, dict) or not body.keys() >= ERROR_KEYS or body["status"] != 400:
            failures.append(f"{case.method} {case.path}: 400 without the error body: {body}")
    assert failures == [], "\n".join(failures)
    assert platform.published() == published, "a refused request was announced"
    await platform.settle()
    assert await snapshot(platform) == before, "a refused request changed the database"
