"""``/api/alarmsQuery/find`` and ``/count``: filters, propagation, latest values, isolation."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from tb_rest_client.models import (
    AlarmCountQuery,
    AlarmDataPageLink,
    AlarmDataQuery,
    EntityKey,
    EntityTypeFilter,
)
from tb_rest_client.rest_client import RestClient

from industryos.alarms.data_query import AlarmDataQueries
from industryos.api.routes import alarms_query
from industryos.api.server import HttpServer
from industryos.entities.models import Authority, User
from industryos.entities.query import EntityQueryService
from tests.api.checks import create, create_device
from tests.api.conftest import Platform

Json = dict[str, Any]


@pytest.fixture
def queried(platform: Platform) -> Platform:
    core = platform.core
    entities = EntityQueryService(core.db, core.timeseries.keys)
    alarms_query.install(platform.app, AlarmDataQueries(core.db, entities, core.alarms.queries))
    return platform


async def _alarm(client: httpx.AsyncClient, device: Json, **fields: Any) -> Json:
    body = {"originator": device["id"], "type": "High Temperature", "severity": "CRITICAL"}
    return await create(client, "/api/alarm", **{**body, **fields})


def _query(entity_filter: Json, **link: Any) -> Json:
    return {
        "entityFilter": entity_filter,
        "pageLink": {"pageSize": 10, "page": 0, **link},
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "latestValues": [],
        "alarmFields": [
            {"type": "ALARM_FIELD", "key": "createdTime"},
            {"type": "ALARM_FIELD", "key": "type"},
        ],
    }


DEVICES = {"type": "entityType", "entityType": "DEVICE"}


async def _find(client: httpx.AsyncClient, query: Json) -> Json:
    response = await client.post("/api/alarmsQuery/find", json=query)
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def _count(client: httpx.AsyncClient, query: Json) -> int:
    response = await client.post("/api/alarmsQuery/count", json=query)
    assert response.status_code == 200, response.text
    count: int = response.json()
    return count


async def test_find_and_count_with_page_link_filters(queried: Platform) -> None:
    a = await queried.new_tenant("A")
    pump = await create_device(a.admin, "pump")
    fan = await create_device(a.admin, "fan")
    hot = await _alarm(a.admin, pump)
    battery = await _alarm(a.admin, fan, type="Low Battery", severity="WARNING")
    await a.admin.post(f"/api/alarm/{battery['id']['id']}/ack")

    page = await _find(a.admin, _query(DEVICES))
    assert page["totalElements"] == 2 and page["hasNext"] is False
    by_type = {item["type"]: item for item in page["data"]}
    item = by_type["High Temperature"]
    assert item["id"] == hot["id"]
    assert item["entityId"] == pump["id"]
    assert item["status"] == "ACTIVE_UNACK" and item["name"] == "High Temperature"
    assert item["originatorName"] == "pump"
    assert item["latest"]["ENTITY_FIELD"]["name"]["value"] == "pump"

    unack = _query(DEVICES, statusList=["ACTIVE", "UNACK"])
    assert [x["type"] for x in (await _find(a.admin, unack))["data"]] == ["High Temperature"]
    warning = _query(DEVICES, severityList=["WARNING"])
    assert [x["type"] for x in (await _find(a.admin, warning))["data"]] == ["Low Battery"]
    typed = _query(DEVICES, typeList=["Low Battery", "Other"])
    assert (await _find(a.admin, typed))["totalElements"] == 1
    single = {"type": "singleEntity", "singleEntity": pump["id"]}
    assert [x["id"] for x in (await _find(a.admin, _query(single)))["data"]] == [hot["id"]]
    assert await _count(a.admin, _query(DEVICES)) == 2
    assert await _count(a.admin, _query(DEVICES, statusList=["ACK"])) == 1
    # ThingsBoard's count query carries its filters at the top level
    top_level = {"entityFilter": DEVICES, "severityList": ["CRITICAL"]}
    assert await _count(a.admin, top_level) == 1

    paged = _query(
        DEVICES,
        pageSize=1,
        sortOrder={"key": {"type": "ALARM_FIELD", "key": "type"}, "direction": "ASC"},
    )
    first = await _find(a.admin, paged)
    assert first["hasNext"] is True and first["totalPages"] == 2
    assert [x["type"] for x in first["data"]] == ["High Temperature"]

    bad = await a.admin.post("/api/alarmsQuery/find", json=_query(DEVICES, statusList=["NOPE"]))
    assert bad.status_code == 400


async def test_propagated_alarms_are_found_under_the_asset(queried: Platform) -> None:
    a = await queried.new_tenant("A")
    device = await create_device(a.admin, "pump")
    building = await create(a.admin, "/api/asset", name="Building")
    relation = {"from": building["id"], "to": device["id"], "type": "Contains"}
    assert (await a.admin.post("/api/v2/relation", json=relation)).status_code == 200
    alarm = await _alarm(a.admin, device, propagate=True)
    assets = {"type": "singleEntity", "singleEntity": building["id"]}
    assert (await _find(a.admin, _query(assets)))["data"] == []
    found = await _find(a.admin, _query(assets, searchPropagatedAlarms=True))
    assert [x["id"] for x in found["data"]] == [alarm["id"]]
    assert found["data"][0]["entityId"] == building["id"]
    assert await _count(a.admin, _query(assets, searchPropagatedAlarms=True)) == 1


async def test_other_tenant_and_other_customer_see_nothing(queried: Platform) -> None:
    a = await queried.new_tenant("A")
    b = await queried.new_tenant("B")
    mine = await create_device(a.admin, "assigned")
    other = await create_device(a.admin, "not assigned")
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{mine['id']['id']}")
    assert assigned.status_code == 200, assigned.text
    visible = await _alarm(a.admin, mine)
    await _alarm(a.admin, other)

    for device in (mine, other):
        single = {"type": "singleEntity", "singleEntity": device["id"]}
        foreign = await b.admin.post("/api/alarmsQuery/find", json=_query(single))
        assert foreign.status_code in (403, 404) or foreign.json()["data"] == []
    assert (await _find(b.admin, _query(DEVICES)))["data"] == []
    assert await _count(b.admin, _query(DEVICES)) == 0

    customer_page = await _find(a.customer_user, _query(DEVICES))
    assert [x["id"] for x in customer_page["data"]] == [visible["id"]]
    assert await _count(a.customer_user, _query(DEVICES)) == 1
    assert await _count(a.admin, _query(DEVICES)) == 2


async def test_tb_rest_client_finds_and_counts(queried: Platform) -> None:
    a = await queried.new_tenant("A")
    pump = await create_device(a.admin, "pump")
    await _alarm(a.admin, pump)
    email = f"rest-{uuid.uuid4().hex[:8]}@a.test"
    tenant_id = (await a.admin.get("/api/auth/user")).json()["tenantId"]["id"]
    await queried.core.users.create(
        User(email=email, authority=Authority.TENANT_ADMIN, tenant_id=uuid.UUID(tenant_id)),
        "client-pw-1",
    )
    server = HttpServer(queried.app, "127.0.0.1", 0)
    await server.start()
    client = RestClient(f"http://127.0.0.1:{server.port}")
    try:
        await asyncio.to_thread(client.login, email, "client-pw-1")
        entity_filter = EntityTypeFilter(entity_type="DEVICE", type="entityType")
        link = AlarmDataPageLink(page_size=10, page=0, status_list=["ACTIVE"])
        query = AlarmDataQuery(
            entity_filter=entity_filter,
            page_link=link,
            entity_fields=[EntityKey(type="ENTITY_FIELD", key="name")],
            alarm_fields=[EntityKey(type="ALARM_FIELD", key="type")],
        )
        page = await asyncio.to_thread(client.find_alarm_data_by_query, query)
        assert page.total_elements == 1
        (found,) = page.data
        assert found.type == "High Temperature" and found.status == "ACTIVE_UNACK"
        assert found.entity_id.id == pump["id"]["id"]
        count = AlarmCountQuery(entity_filter=entity_filter)
        assert await asyncio.to_thread(client.count_alarms_by_query, count) == 1
    finally:
        if client.api_client is not None:
            client.api_client.rest_client.pool_manager.clear()
        await server.stop()


def _sorted(key_type: str, key: str, direction: str, **link: Any) -> Json:
    sort = {"key": {"type": key_type, "key": key}, "direction": direction}
    return _query(DEVICES, sortOrder=sort, **link)


async def _names(client: httpx.AsyncClient, query: Json) -> list[str]:
    return [item["originatorName"] for item in (await _find(client, query))["data"]]


async def test_sorted_by_originator_entity_fields_and_latest_values(queried: Platform) -> None:
    """Sorting by the alarm's entity (name, attributes, latest telemetry) happens in SQL:
    numbers as numbers, a missing value last, paging over the sorted rows."""
    a = await queried.new_tenant("A")
    t = "/api/plugins/telemetry/DEVICE"
    values = {"b-pump": (10, 2), "a-fan": (100, None), "c-valve": (9, 1), "d-none": (None, 3)}
    for name, (temperature, floor) in values.items():
        device = await create_device(a.admin, name)
        await _alarm(a.admin, device)
        device_id = device["id"]["id"]
        if temperature is not None:
            body = {"temperature": temperature}
            saved = await a.admin.post(f"{t}/{device_id}/timeseries/ANY", json=body)
            assert saved.status_code == 200, saved.text
        if floor is not None:
            saved = await a.admin.post(f"{t}/{device_id}/SERVER_SCOPE", json={"floor": floor})
            assert saved.status_code == 200, saved.text
    b = await queried.new_tenant("B")  # another tenant's same-named device changes nothing
    await _alarm(b.admin, await create_device(b.admin, "0-first"))

    by_name = ["a-fan", "b-pump", "c-valve", "d-none"]
    assert await _names(a.admin, _sorted("ALARM_FIELD", "originator", "ASC")) == by_name
    assert await _names(a.admin, _sorted("ENTITY_FIELD", "name", "DESC")) == by_name[::-1]
    hottest = ["a-fan", "b-pump", "c-valve", "d-none"]
    assert await _names(a.admin, _sorted("TIME_SERIES", "temperature", "DESC")) == hottest
    coolest = ["c-valve", "b-pump", "a-fan", "d-none"]
    assert await _names(a.admin, _sorted("TIME_SERIES", "temperature", "ASC")) == coolest
    by_floor = ["d-none", "b-pump", "c-valve", "a-fan"]
    assert await _names(a.admin, _sorted("SERVER_ATTRIBUTE", "floor", "DESC")) == by_floor
    assert await _names(a.admin, _sorted("ATTRIBUTE", "floor", "DESC")) == by_floor
    for key_type, key in (("SHARED_ATTRIBUTE", "floor"), ("TIME_SERIES", "never-written")):
        unsorted = await _names(a.admin, _sorted(key_type, key, "DESC"))  # all missing: ties
        assert sorted(unsorted) == by_name

    second = _sorted("TIME_SERIES", "temperature", "ASC", pageSize=2, page=1)
    page = await _find(a.admin, second)
    assert [x["originatorName"] for x in page["data"]] == ["a-fan", "d-none"]
    assert page["totalElements"] == 4 and page["hasNext"] is False
    assert await _names(b.admin, _sorted("ENTITY_FIELD", "name", "ASC")) == ["0-first"]


async def test_propagated_alarms_sorted_by_the_asset_they_are_listed_under(
    queried: Platform,
) -> None:
    a = await queried.new_tenant("A")
    listed = {}
    for asset_name, device_name in (("north", "z-pump"), ("south", "a-pump")):
        asset = await create(a.admin, "/api/asset", name=asset_name)
        device = await create_device(a.admin, device_name)
        relation = {"from": asset["id"], "to": device["id"], "type": "Contains"}
        assert (await a.admin.post("/api/v2/relation", json=relation)).status_code == 200
        alarm = await _alarm(a.admin, device, propagate=True)
        listed[alarm["id"]["id"]] = asset_name
    assets = {"type": "entityType", "entityType": "ASSET"}
    sort = {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "DESC"}
    query = _query(assets, searchPropagatedAlarms=True, sortOrder=sort)
    found = await _find(a.admin, query)
    assert [listed[x["id"]["id"]] for x in found["data"]] == ["south", "north"]
    assert [x["latest"]["ENTITY_FIELD"]["name"]["value"] for x in found["data"]] == [
        "south",
        "north",
    ]
    by_originator = {"key": {"type": "ALARM_FIELD", "key": "originator"}, "direction": "ASC"}
    query = _query(assets, searchPropagatedAlarms=True, sortOrder=by_originator)
    assert [x["originatorName"] for x in (await _find(a.admin, query))["data"]] == [
        "a-pump",
        "z-pump",
    ]


async def test_text_search_looks_in_the_shown_alarm_fields(queried: Platform) -> None:
    a = await queried.new_tenant("A")
    pump = await create_device(a.admin, "Pump-7")
    fan = await create_device(a.admin, "fan")
    hot = await _alarm(a.admin, pump)
    battery = await _alarm(a.admin, fan, type="Low Battery", severity="WARNING")
    await a.admin.post(f"/api/alarm/{battery['id']['id']}/ack")
    shown = [
        {"type": "ALARM_FIELD", "key": key} for key in ("type", "originator", "severity", "status")
    ]

    async def found(text: str, fields: list[Json]) -> list[str]:
        query = {**_query(DEVICES, textSearch=text), "alarmFields": fields}
        return [item["id"]["id"] for item in (await _find(a.admin, query))["data"]]

    assert await found("pump-", shown) == [hot["id"]["id"]]  # the originator's name
    assert await found("warn", shown) == [battery["id"]["id"]]  # severity by name
    assert await found("active_ack", shown) == [battery["id"]["id"]]  # status by name
    assert await found("BATTERY", shown) == [battery["id"]["id"]]
    assert await found("%", shown) == []  # a wildcard is a plain character
    assert await found("pump", [{"type": "ALARM_FIELD", "key": "type"}]) == []
    assert await found("temperature", []) == [hot["id"]["id"]]  # no fields shown: the type
