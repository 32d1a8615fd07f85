"""ENTITY_DATA: first page, then deltas of the followed keys; unsubscribe (checklist 25)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.telemetry import DataType, TsKvEntry
from tests.api.ws.conftest import Live, recv_json, send_json
from tests.support.write_lock import timeseries_commits_held

T = "/api/plugins/telemetry"


async def _device(admin: httpx.AsyncClient, name: str, type_: str) -> str:
    response = await admin.post("/api/device", json={"name": name, "type": type_})
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _write(admin: httpx.AsyncClient, device: str, ts: int, values: dict[str, Any]) -> None:
    response = await admin.post(
        f"{T}/DEVICE/{device}/timeseries/ANY", json={"ts": ts, "values": values}
    )
    assert response.status_code == 200, response.text


QUERY = {
    "entityFilter": {"type": "deviceType", "deviceTypes": ["thermostat"]},
    "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
    "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}],
    "pageLink": {
        "pageSize": 10,
        "page": 0,
        "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "ASC"},
    },
}
LATEST = {"keys": [{"type": "TIME_SERIES", "key": "temperature"}]}


async def test_first_page_then_deltas_then_unsubscribe(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    t2 = await _device(a.admin, "t2", "thermostat")
    meter = await _device(a.admin, "m", "meter")
    await _write(a.admin, t1, 1000, {"temperature": 20})
    connection = await live.authed(a.admin)
    async with connection:
        cmd = {"type": "ENTITY_DATA", "cmdId": 2, "query": QUERY, "latestCmd": LATEST}
        await send_json(connection, {"cmds": [cmd]})
        first = await recv_json(connection)
        assert first["cmdId"] == 2
        assert first["cmdUpdateType"] == "ENTITY_DATA"
        assert first["update"] is None
        page = first["data"]
        assert page["totalElements"] == 2
        assert [e["entityId"]["id"] for e in page["data"]] == [t1, t2]
        assert page["data"][0]["latest"]["TIME_SERIES"]["temperature"] == {
            "ts": 1000,
            "value": "20",
        }
        assert page["data"][1]["latest"]["TIME_SERIES"]["temperature"] == {"ts": 0, "value": ""}
        current = await recv_json(connection)  # the latestCmd keys' current values
        assert current["data"] is None
        assert len(current["update"]) == 2

        await _write(a.admin, meter, 2000, {"temperature": 5})  # not on the page
        await _write(a.admin, t2, 2000, {"temperature": 23.5, "humidity": 40})
        delta = await recv_json(connection)
        assert delta["cmdId"] == 2
        assert delta["data"] is None
        assert delta["update"] == [
            {
                "entityId": {"entityType": "DEVICE", "id": t2},
                "latest": {"TIME_SERIES": {"temperature": {"ts": 2000, "value": "23.5"}}},
                "timeseries": {},
            }
        ]
        await _write(a.admin, t2, 1500, {"temperature": 1})  # older than the pushed latest
        await send_json(connection, {"cmds": [{"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 2}]})
        await _write(a.admin, t1, 3000, {"temperature": 30})
        count_cmd = {
            "type": "ENTITY_COUNT",
            "cmdId": 3,
            "query": {"entityFilter": QUERY["entityFilter"]},
        }
        await send_json(connection, {"cmds": [count_cmd]})
        count = await recv_json(connection)
        assert count == {
            "cmdId": 3,
            "cmdUpdateType": "COUNT_DATA",
            "errorCode": 0,
            "errorMsg": None,
            "count": 2,
        }
    assert len(live.platform.core.telemetry.listeners) == 0


async def test_latest_values_are_pushed_once_accepted(live: Live, engine: AsyncEngine) -> None:
    """A ``latestCmd`` value leaves while its batch still waits to commit."""
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    telemetry = live.platform.core.telemetry
    connection = await live.authed(a.admin)
    async with connection:
        cmd = {"type": "ENTITY_DATA", "cmdId": 2, "query": QUERY, "latestCmd": LATEST}
        await send_json(connection, {"cmds": [cmd]})
        assert (await recv_json(connection))["data"]["totalElements"] == 1
        assert (await recv_json(connection))["data"] is None  # the current values
        point = TsKvEntry(2000, "temperature", 21, DataType.LONG)
        tenant_id, device_id = uuid.UUID(a.tenant_id), uuid.UUID(t1)
        async with timeseries_commits_held(engine):
            save = asyncio.create_task(telemetry.save_timeseries(tenant_id, device_id, [point]))
            delta = await recv_json(connection)
            assert delta["update"][0]["latest"] == {
                "TIME_SERIES": {"temperature": {"ts": 2000, "value": "21"}}
            }
            assert not save.done()
        await asyncio.wait_for(save, 30)


async def test_bad_query_and_foreign_tenant(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    await _device(a.admin, "t1", "thermostat")
    connection = await live.authed(b.admin)
    async with connection:
        await send_json(connection, {"cmds": [{"type": "ENTITY_DATA", "cmdId": 1, "query": QUERY}]})
        page = (await recv_json(connection))["data"]
        assert page["totalElements"] == 0
        bad = {**QUERY, "entityFilter": {"type": "edgeType"}}
        await send_json(connection, {"cmds": [{"type": "ENTITY_DATA", "cmdId": 2, "query": bad}]})
        error = await recv_json(connection)
        assert (error["cmdId"], error["cmdUpdateType"], error["errorCode"]) == (2, "ENTITY_DATA", 2)
