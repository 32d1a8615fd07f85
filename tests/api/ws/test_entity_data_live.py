"""Live ENTITY_COUNT and dynamic ENTITY_DATA pages: re-evaluated when entities come and go
or a filtered/sorted value changes; unsubscribe stops them; other tenants see nothing."""

from __future__ import annotations

from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.api.ws.conftest import Live, recv_json, send_json

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


THERMOSTATS = {"type": "deviceType", "deviceTypes": ["thermostat"]}
HOT = {
    "key": {"type": "TIME_SERIES", "key": "temperature"},
    "valueType": "NUMERIC",
    "predicate": {"type": "NUMERIC", "operation": "GREATER", "value": {"defaultValue": 30}},
}


async def _one_shot_count(connection: ClientConnection, cmd_id: int) -> int:
    """A fresh ENTITY_COUNT; its reply must be the next message (nothing else was pushed)."""
    cmd = {"type": "ENTITY_COUNT", "cmdId": cmd_id, "query": {"entityFilter": THERMOSTATS}}
    await send_json(connection, {"cmds": [cmd]})
    reply = await recv_json(connection)
    assert (reply["cmdId"], reply["cmdUpdateType"]) == (cmd_id, "COUNT_DATA"), reply
    await send_json(connection, {"cmds": [{"type": "ENTITY_COUNT_UNSUBSCRIBE", "cmdId": cmd_id}]})
    return int(reply["count"])


async def test_entity_count_follows_created_and_deleted_devices(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    await _device(a.admin, "t1", "thermostat")
    connection = await live.authed(a.admin)
    other = await live.authed(b.admin)
    async with connection, other:
        cmd = {"type": "ENTITY_COUNT", "cmdId": 1, "query": {"entityFilter": THERMOSTATS}}
        await send_json(connection, {"cmds": [cmd]})
        await send_json(other, {"cmds": [cmd]})
        assert (await recv_json(connection))["count"] == 1
        assert (await recv_json(other))["count"] == 0
        t2 = await _device(a.admin, "t2", "thermostat")
        assert (await recv_json(connection))["count"] == 2
        await _device(a.admin, "m1", "meter")  # not counted: no push
        deleted = await a.admin.delete(f"/api/device/{t2}")
        assert deleted.status_code == 200, deleted.text
        assert (await recv_json(connection))["count"] == 1
        await send_json(connection, {"cmds": [{"type": "ENTITY_COUNT_UNSUBSCRIBE", "cmdId": 1}]})
        await _device(a.admin, "t3", "thermostat")
        assert await _one_shot_count(connection, 2) == 2
        assert await _one_shot_count(other, 2) == 0  # tenant B heard nothing of A's devices


async def test_entity_count_with_key_filter_follows_values(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    connection = await live.authed(a.admin)
    async with connection:
        query = {"entityFilter": THERMOSTATS, "keyFilters": [HOT]}
        await send_json(
            connection, {"cmds": [{"type": "ENTITY_COUNT", "cmdId": 1, "query": query}]}
        )
        assert (await recv_json(connection))["count"] == 0
        await _write(a.admin, t1, 1000, {"temperature": 35})
        assert (await recv_json(connection))["count"] == 1
        await _write(a.admin, t1, 2000, {"humidity": 10})  # other key: no re-count
        await _write(a.admin, t1, 3000, {"temperature": 20})
        assert (await recv_json(connection))["count"] == 0


def _dynamic(sort_key: dict[str, str], direction: str) -> dict[str, Any]:
    return {
        "entityFilter": THERMOSTATS,
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}],
        "pageLink": {
            "pageSize": 2,
            "page": 0,
            "dynamic": True,
            "sortOrder": {"key": sort_key, "direction": direction},
        },
    }


def _names(message: dict[str, Any]) -> list[str]:
    return [e["latest"]["ENTITY_FIELD"]["name"]["value"] for e in message["data"]["data"]]


async def test_dynamic_page_follows_new_entities_and_live_sort(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    t2 = await _device(a.admin, "t2", "thermostat")
    await _write(a.admin, t1, 1000, {"temperature": 10})
    await _write(a.admin, t2, 1000, {"temperature": 20})
    connection = await live.authed(a.admin)
    async with connection:
        query = _dynamic({"type": "TIME_SERIES", "key": "temperature"}, "DESC")
        latest = {"keys": [{"type": "TIME_SERIES", "key": "temperature"}]}
        cmd = {"type": "ENTITY_DATA", "cmdId": 4, "query": query, "latestCmd": latest}
        await send_json(connection, {"cmds": [cmd]})
        first = await recv_json(connection)
        assert _names(first) == ["t2", "t1"]
        assert (await recv_json(connection))["update"] is not None  # current latestCmd values

        await _write(a.admin, t1, 2000, {"temperature": 30})  # t1 overtakes t2
        messages = [await recv_json(connection), await recv_json(connection)]
        resent = next(m for m in messages if m["data"] is not None)
        delta = next(m for m in messages if m["data"] is None)
        assert _names(resent) == ["t1", "t2"]
        assert delta["update"][0]["latest"]["TIME_SERIES"]["temperature"]["value"] == "30"

        t3 = await _device(a.admin, "t3", "thermostat")  # new entity: total changes
        grown = await recv_json(connection)
        assert grown["data"]["totalElements"] == 3
        assert _names(grown) == ["t1", "t2"]
        await _write(a.admin, t3, 3000, {"temperature": 99})  # t3 enters the page
        entered = [await recv_json(connection)]
        while entered[-1]["data"] is None:
            entered.append(await recv_json(connection))
        assert _names(entered[-1]) == ["t3", "t1"]

        await send_json(connection, {"cmds": [{"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 4}]})
        await _device(a.admin, "t4", "thermostat")
        await _write(a.admin, t2, 4000, {"temperature": 500})
        assert await _one_shot_count(connection, 5) == 4
    assert len(live.platform.core.telemetry.listeners) == 0
    assert len(live.services.entity_changes or ()) == 0


async def test_static_page_is_not_resent(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    await _device(a.admin, "t1", "thermostat")
    connection = await live.authed(a.admin)
    async with connection:
        query = _dynamic({"type": "ENTITY_FIELD", "key": "name"}, "ASC")
        query["pageLink"]["dynamic"] = False
        await send_json(connection, {"cmds": [{"type": "ENTITY_DATA", "cmdId": 1, "query": query}]})
        assert _names(await recv_json(connection)) == ["t1"]
        await _device(a.admin, "t0", "thermostat")
        assert await _one_shot_count(connection, 2) == 2
