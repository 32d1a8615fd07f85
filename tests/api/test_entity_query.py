"""Entity data query REST (spec §3.9, checklist 26) over the real store on both engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from industryos.api.routes import entity_query
from industryos.entities.query import EntityQueryService
from tests.api.conftest import Platform, TenantAccounts

Json = dict[str, Any]
T = "/api/plugins/telemetry"
Q = "/api/entitiesQuery"


@pytest.fixture
def queries(platform: Platform) -> Platform:
    """The platform with the entity query routes mounted."""
    entity_query.install(
        platform.app, EntityQueryService(platform.core.db, platform.core.timeseries.keys)
    )
    return platform


async def _device(client: httpx.AsyncClient, name: str, type_: str = "default") -> str:
    response = await client.post("/api/device", json={"name": name, "type": type_})
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _telemetry(client: httpx.AsyncClient, device: str, ts: int, values: Json) -> None:
    response = await client.post(
        f"{T}/DEVICE/{device}/timeseries/ANY", json={"ts": ts, "values": values}
    )
    assert response.status_code == 200, response.text


async def _attributes(client: httpx.AsyncClient, device: str, scope: str, values: Json) -> None:
    response = await client.post(f"{T}/DEVICE/{device}/attributes/{scope}", json=values)
    assert response.status_code == 200, response.text


def _query(entity_filter: Json, **extra: Any) -> Json:
    return {
        "entityFilter": entity_filter,
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}],
        "pageLink": {"pageSize": 10, "page": 0},
        **extra,
    }


def _greater(value: float) -> list[Json]:
    return [
        {
            "key": {"type": "TIME_SERIES", "key": "temperature"},
            "valueType": "NUMERIC",
            "predicate": {
                "type": "NUMERIC",
                "operation": "GREATER",
                "value": {"defaultValue": value, "userValue": None, "dynamicValue": None},
            },
        }
    ]


async def _thermostats(a: TenantAccounts) -> dict[str, str]:
    ids = {}
    for name, temp in (("t-cold", 15), ("t-warm", 21.5), ("t-hot", 30)):
        ids[name] = await _device(a.admin, name, "thermostat")
        await _telemetry(a.admin, ids[name], 1000, {"temperature": temp})
    ids["meter"] = await _device(a.admin, "meter", "meter")
    await _telemetry(a.admin, ids["meter"], 1000, {"temperature": 99})
    return ids


async def test_device_type_and_numeric_greater_returns_matches_as_strings(
    queries: Platform,
) -> None:
    a = await queries.new_tenant("A")
    await _thermostats(a)
    query = _query(
        {"type": "deviceType", "deviceTypes": ["thermostat"], "deviceNameFilter": ""},
        keyFilters=_greater(20),
        pageLink={
            "pageSize": 10,
            "page": 0,
            "sortOrder": {"key": {"type": "TIME_SERIES", "key": "temperature"}, "direction": "ASC"},
        },
    )
    response = await a.admin.post(f"{Q}/find", json=query)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["totalElements"] == 2
    assert page["hasNext"] is False
    names = [item["latest"]["ENTITY_FIELD"]["name"]["value"] for item in page["data"]]
    assert names == ["t-warm", "t-hot"]
    temps = [item["latest"]["TIME_SERIES"]["temperature"] for item in page["data"]]
    assert temps == [{"ts": 1000, "value": "21.5"}, {"ts": 1000, "value": "30"}]
    assert all(item["entityId"]["entityType"] == "DEVICE" for item in page["data"])
    count = await a.admin.post(
        f"{Q}/count",
        json={"entityFilter": query["entityFilter"], "keyFilters": query["keyFilters"]},
    )
    assert count.json() == 2


async def test_missing_keys_paging_sort_and_attributes(queries: Platform) -> None:
    a = await queries.new_tenant("A")
    ids = await _thermostats(a)
    await _attributes(a.admin, ids["t-hot"], "SERVER_SCOPE", {"active": True, "room": "R1"})
    query = _query(
        {"type": "entityType", "entityType": "DEVICE"},
        latestValues=[
            {"type": "SERVER_ATTRIBUTE", "key": "active"},
            {"type": "ATTRIBUTE", "key": "room"},
            {"type": "TIME_SERIES", "key": "never-written"},
        ],
        pageLink={
            "pageSize": 3,
            "page": 1,
            "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "DESC"},
        },
    )
    page = (await a.admin.post(f"{Q}/find", json=query)).json()
    assert page["totalElements"] == 4
    assert page["totalPages"] == 2
    (only,) = page["data"]  # names DESC: t-warm, t-hot, t-cold | meter
    assert only["entityId"]["id"] == ids["meter"]
    assert only["latest"]["SERVER_ATTRIBUTE"]["active"] == {"ts": 0, "value": ""}
    assert only["latest"]["TIME_SERIES"]["never-written"] == {"ts": 0, "value": ""}
    query["pageLink"]["page"] = 0
    first = (await a.admin.post(f"{Q}/find", json=query)).json()["data"]
    hot = next(item for item in first if item["entityId"]["id"] == ids["t-hot"])
    assert hot["latest"]["SERVER_ATTRIBUTE"]["active"]["value"] == "true"
    assert hot["latest"]["ATTRIBUTE"]["room"]["value"] == "R1"
    assert hot["latest"]["SERVER_ATTRIBUTE"]["active"]["ts"] > 0


async def test_string_boolean_and_complex_filters(queries: Platform) -> None:
    a = await queries.new_tenant("A")
    ids = await _thermostats(a)
    await _attributes(a.admin, ids["t-cold"], "SHARED_SCOPE", {"enabled": True})
    await _attributes(a.admin, ids["t-hot"], "SHARED_SCOPE", {"enabled": False})
    name_key = {"type": "ENTITY_FIELD", "key": "name"}

    async def names(key_filters: list[Json]) -> list[str]:
        query = _query({"type": "entityType", "entityType": "DEVICE"}, keyFilters=key_filters)
        query["pageLink"]["sortOrder"] = {"key": name_key, "direction": "ASC"}
        response = await a.admin.post(f"{Q}/find", json=query)
        assert response.status_code == 200, response.text
        return [i["latest"]["ENTITY_FIELD"]["name"]["value"] for i in response.json()["data"]]

    starts: Json = {"type": "STRING", "operation": "STARTS_WITH", "value": {"defaultValue": "T-"}}
    assert await names([{"key": name_key, "valueType": "STRING", "predicate": starts}]) == []
    starts["ignoreCase"] = True
    assert await names([{"key": name_key, "valueType": "STRING", "predicate": starts}]) == [
        "t-cold",
        "t-hot",
        "t-warm",
    ]
    enabled = {"type": "BOOLEAN", "operation": "EQUAL", "value": {"defaultValue": True}}
    shared = {"type": "SHARED_ATTRIBUTE", "key": "enabled"}
    assert await names([{"key": shared, "valueType": "BOOLEAN", "predicate": enabled}]) == [
        "t-cold"
    ]
    complex_or = {
        "type": "COMPLEX",
        "operation": "OR",
        "predicates": [
            {"type": "NUMERIC", "operation": "LESS", "value": {"defaultValue": 16}},
            {"type": "NUMERIC", "operation": "GREATER_OR_EQUAL", "value": {"defaultValue": 99}},
        ],
    }
    temperature = {"type": "TIME_SERIES", "key": "temperature"}
    assert await names([{"key": temperature, "valueType": "NUMERIC", "predicate": complex_or}]) == [
        "meter",
        "t-cold",
    ]


async def test_relations_query_and_single_entity(queries: Platform) -> None:
    a = await queries.new_tenant("A")
    ids = await _thermostats(a)
    asset = await a.admin.post("/api/asset", json={"name": "Building", "type": "building"})
    asset_id = asset.json()["id"]["id"]
    for name in ("t-cold", "t-hot"):
        relation = {
            "from": {"entityType": "ASSET", "id": asset_id},
            "to": {"entityType": "DEVICE", "id": ids[name]},
            "type": "Contains",
        }
        assert (await a.admin.post("/api/relation", json=relation)).status_code == 200
    query = _query(
        {
            "type": "relationsQuery",
            "rootEntity": {"entityType": "ASSET", "id": asset_id},
            "direction": "FROM",
            "maxLevel": 1,
            "filters": [{"relationType": "Contains", "entityTypes": ["DEVICE"]}],
        }
    )
    page = (await a.admin.post(f"{Q}/find", json=query)).json()
    assert {item["entityId"]["id"] for item in page["data"]} == {ids["t-cold"], ids["t-hot"]}
    single = _query(
        {"type": "singleEntity", "singleEntity": {"entityType": "ASSET", "id": asset_id}}
    )
    page = (await a.admin.post(f"{Q}/find", json=single)).json()
    assert [item["entityId"] for item in page["data"]] == [{"entityType": "ASSET", "id": asset_id}]


async def test_scoping_and_unsupported_filters(queries: Platform) -> None:
    a = await queries.new_tenant("A")
    b = await queries.new_tenant("B")
    ids = await _thermostats(a)
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{ids['t-hot']}")
    assert assigned.status_code == 200, assigned.text
    query = _query({"type": "entityType", "entityType": "DEVICE"})
    other_tenant = await b.admin.post(f"{Q}/find", json=query)
    assert other_tenant.json()["totalElements"] == 0
    single = _query(
        {"type": "singleEntity", "singleEntity": {"entityType": "DEVICE", "id": ids["t-cold"]}}
    )
    assert (await b.admin.post(f"{Q}/find", json=single)).json()["data"] == []
    customer = (await a.customer_user.post(f"{Q}/find", json=query)).json()
    assert [item["entityId"]["id"] for item in customer["data"]] == [ids["t-hot"]]
    for bad in ({"type": "edgeType", "edgeTypes": ["x"]}, {"type": "nope"}):
        response = await a.admin.post(f"{Q}/find", json=_query(bad))
        assert response.status_code == 400
        assert response.json()["errorCode"] == 31


async def test_find_keys(queries: Platform) -> None:
    a = await queries.new_tenant("A")
    ids = await _thermostats(a)
    await _attributes(a.admin, ids["t-hot"], "SERVER_SCOPE", {"room": "R1"})
    query = _query({"type": "deviceType", "deviceTypes": ["thermostat"]})
    response = await a.admin.post(f"{Q}/find/keys", json=query, params={"scope": "SERVER_SCOPE"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "entityTypes": ["DEVICE"],
        "timeseries": ["temperature"],
        "attribute": ["room"],
    }
