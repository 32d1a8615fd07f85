"""ALARM_DATA and ALARM_COUNT: first page, pushes from the alarm write path, unsubscribe,
tenant and customer isolation (spec §4.4, §4.5)."""

from __future__ import annotations

from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.api.ws.conftest import Live, recv_json, send_json, token_of


async def _device(admin: httpx.AsyncClient, name: str, type_: str) -> str:
    response = await admin.post("/api/device", json={"name": name, "type": type_})
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _alarm(admin: httpx.AsyncClient, device: str, type_: str, severity: str) -> str:
    body = {
        "originator": {"entityType": "DEVICE", "id": device},
        "type": type_,
        "severity": severity,
    }
    response = await admin.post("/api/alarm", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _write(admin: httpx.AsyncClient, device: str, ts: int, values: dict[str, Any]) -> None:
    path = f"/api/plugins/telemetry/DEVICE/{device}/timeseries/ANY"
    response = await admin.post(path, json={"ts": ts, "values": values})
    assert response.status_code == 200, response.text


async def _post(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path)
    assert response.status_code == 200, response.text


def _query(device_type: str, **link: Any) -> dict[str, Any]:
    return {
        "entityFilter": {"type": "deviceType", "deviceTypes": [device_type]},
        "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
        "latestValues": [{"type": "TIME_SERIES", "key": "temperature"}],
        "pageLink": {
            "pageSize": 10,
            "page": 0,
            "searchPropagatedAlarms": False,
            "sortOrder": {"key": {"type": "ALARM_FIELD", "key": "createdTime"}, "direction": "ASC"},
            **link,
        },
    }


async def _count_now(connection: ClientConnection, cmd_id: int, query: dict[str, Any]) -> int:
    """A one-off ALARM_COUNT; its reply must be the next message (nothing else was pushed)."""
    await send_json(
        connection, {"cmds": [{"type": "ALARM_COUNT", "cmdId": cmd_id, "query": query}]}
    )
    reply = await recv_json(connection)
    assert (reply["cmdId"], reply["cmdUpdateType"]) == (cmd_id, "ALARM_COUNT_DATA"), reply
    await send_json(connection, {"cmds": [{"type": "ALARM_COUNT_UNSUBSCRIBE", "cmdId": cmd_id}]})
    return int(reply["count"])


async def test_first_page_then_updates_then_unsubscribe(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    meter = await _device(a.admin, "m1", "meter")
    high = await _alarm(a.admin, t1, "High Temperature", "CRITICAL")
    query = _query("thermostat", statusList=["ACTIVE"])
    connection = await live.authed(a.admin)
    async with connection:
        await send_json(connection, {"cmds": [{"type": "ALARM_DATA", "cmdId": 7, "query": query}]})
        first = await recv_json(connection)
        assert (first["cmdId"], first["cmdUpdateType"], first["errorCode"]) == (7, "ALARM_DATA", 0)
        assert first["update"] is None
        assert (first["totalEntities"], first["allowedEntities"]) == (1, 1000)
        page = first["data"]
        assert (page["totalElements"], page["totalPages"], page["hasNext"]) == (1, 1, False)
        item = page["data"][0]
        assert item["id"]["id"] == high
        assert item["entityId"] == {"entityType": "DEVICE", "id": t1}
        assert (item["status"], item["severity"], item["originatorName"]) == (
            "ACTIVE_UNACK",
            "CRITICAL",
            "t1",
        )
        assert item["latest"]["ENTITY_FIELD"]["name"]["value"] == "t1"
        assert item["latest"]["TIME_SERIES"]["temperature"] == {"ts": 0, "value": ""}

        await _write(a.admin, meter, 1000, {"temperature": 5})  # not on the page
        await _write(a.admin, t1, 1000, {"temperature": 55, "humidity": 3})
        valued = await recv_json(connection)
        assert valued["data"] is None
        [with_value] = valued["update"]
        assert with_value["id"]["id"] == high
        assert with_value["latest"]["TIME_SERIES"]["temperature"] == {"ts": 1000, "value": "55"}
        assert with_value["latest"]["ENTITY_FIELD"]["name"]["value"] == "t1"

        await _alarm(a.admin, meter, "Leak", "MAJOR")  # not a thermostat: nothing pushed
        await _post(a.admin, f"/api/alarm/{high}/ack")
        acked = await recv_json(connection)
        assert acked["data"] is None
        assert [(u["id"]["id"], u["status"]) for u in acked["update"]] == [(high, "ACTIVE_ACK")]
        assert acked["update"][0]["entityId"]["id"] == t1

        low = await _alarm(a.admin, t1, "Low Battery", "MINOR")
        grown = await recv_json(connection)
        assert grown["update"] is None
        assert [x["id"]["id"] for x in grown["data"]["data"]] == [high, low]

        await _post(a.admin, f"/api/alarm/{high}/clear")  # leaves the ACTIVE filter
        shrunk = await recv_json(connection)
        assert [x["id"]["id"] for x in shrunk["data"]["data"]] == [low]

        deleted = await a.admin.delete(f"/api/alarm/{low}")
        assert deleted.status_code == 200, deleted.text
        empty = await recv_json(connection)
        assert empty["data"]["totalElements"] == 0

        await send_json(connection, {"cmds": [{"type": "ALARM_DATA_UNSUBSCRIBE", "cmdId": 7}]})
        await _alarm(a.admin, t1, "Door Open", "WARNING")
        assert await _count_now(connection, 8, _query("thermostat")) == 2
    assert len(live.services.alarm_changes or ()) == 0
    assert len(live.services.entity_changes or ()) == 0
    assert len(live.platform.core.telemetry.listeners) == 0


async def test_alarm_count_follows_alarms_and_new_devices(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    connection = await live.authed(a.admin)
    async with connection:
        query = {
            "entityFilter": {"type": "deviceType", "deviceTypes": ["thermostat"]},
            "statusList": ["ACTIVE"],
            "severityList": ["CRITICAL", "MAJOR"],
        }
        await send_json(connection, {"cmds": [{"type": "ALARM_COUNT", "cmdId": 3, "query": query}]})
        first = await recv_json(connection)
        assert first == {
            "cmdId": 3,
            "cmdUpdateType": "ALARM_COUNT_DATA",
            "errorCode": 0,
            "errorMsg": None,
            "count": 0,
        }
        alarm = await _alarm(a.admin, t1, "High Temperature", "MAJOR")
        assert (await recv_json(connection))["count"] == 1
        await _alarm(a.admin, t1, "Noise", "WARNING")  # filtered out by severity: no push
        t2 = await _device(a.admin, "t2", "thermostat")  # a new entity of the filter
        await _alarm(a.admin, t2, "High Temperature", "CRITICAL")
        assert (await recv_json(connection))["count"] == 2
        await _post(a.admin, f"/api/alarm/{alarm}/clear")
        assert (await recv_json(connection))["count"] == 1
        await send_json(connection, {"cmds": [{"type": "ALARM_COUNT_UNSUBSCRIBE", "cmdId": 3}]})
        await _alarm(a.admin, t1, "Overheat", "CRITICAL")
        legacy_query = {"entityFilter": query["entityFilter"], "statusList": ["ACTIVE"]}
        assert await _count_now(connection, 4, legacy_query) == 3


async def test_other_tenant_and_other_customer_get_nothing(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    mine = await _device(a.admin, "mine", "thermostat")
    theirs = await _device(a.admin, "theirs", "thermostat")
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{mine}")
    assert assigned.status_code == 200, assigned.text
    await _alarm(a.admin, theirs, "Old", "MAJOR")
    single = {
        "entityFilter": {
            "type": "singleEntity",
            "singleEntity": {"entityType": "DEVICE", "id": theirs},
        },
        "pageLink": {"pageSize": 10, "page": 0},
    }
    b_conn = await live.authed(b.admin)
    user_conn = await live.authed(a.customer_user)
    async with b_conn, user_conn:
        await send_json(b_conn, {"cmds": [{"type": "ALARM_DATA", "cmdId": 1, "query": single}]})
        foreign = await recv_json(b_conn)
        assert foreign["errorCode"] == 0
        assert (foreign["data"]["totalElements"], foreign["totalEntities"]) == (0, 0)
        await send_json(
            user_conn, {"cmds": [{"type": "ALARM_DATA", "cmdId": 1, "query": _query("thermostat")}]}
        )
        own = await recv_json(user_conn)
        assert (own["data"]["totalElements"], own["totalEntities"]) == (0, 1)

        await _alarm(a.admin, theirs, "Fresh", "CRITICAL")  # A's, not the customer's
        await _alarm(a.admin, mine, "Mine", "MINOR")
        pushed = await recv_json(user_conn)
        assert [x["originatorName"] for x in pushed["data"]["data"]] == ["mine"]
        assert await _count_now(b_conn, 2, single) == 0  # B was pushed nothing meanwhile
        assert await _count_now(user_conn, 2, _query("thermostat")) == 1


async def test_bad_alarm_query_and_sysadmin(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    sysadmin = await live.platform.sysadmin()
    connection = await live.authed(a.admin)
    async with connection:
        bad = _query("thermostat", statusList=["SOMETIMES"])
        await send_json(connection, {"cmds": [{"type": "ALARM_DATA", "cmdId": 5, "query": bad}]})
        error = await recv_json(connection)
        assert (error["cmdId"], error["cmdUpdateType"], error["errorCode"]) == (5, "ALARM_DATA", 2)
    admin_conn = await live.authed(sysadmin)
    async with admin_conn:
        cmd = {"type": "ALARM_COUNT", "cmdId": 6, "query": _query("thermostat")}
        await send_json(admin_conn, {"cmds": [cmd]})
        denied = await recv_json(admin_conn)
        assert (denied["cmdUpdateType"], denied["errorCode"]) == ("ALARM_COUNT_DATA", 3)


async def test_alarm_status_flips_with_the_originators_active_alarms(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    t1 = await _device(a.admin, "t1", "thermostat")
    t2 = await _device(a.admin, "t2", "thermostat")
    connection = await live.authed(a.admin)
    other = await live.authed(b.admin)
    async with connection, other:
        cmd = {
            "type": "ALARM_STATUS",
            "cmdId": 9,
            "originatorId": {"entityType": "DEVICE", "id": t1},
            "severityList": ["CRITICAL"],
        }
        await send_json(connection, {"cmds": [cmd]})
        assert await recv_json(connection) == {
            "cmdId": 9,
            "cmdUpdateType": "ALARM_STATUS",
            "errorCode": 0,
            "errorMsg": None,
            "active": False,
        }
        await send_json(other, {"cmds": [cmd]})
        denied = await recv_json(other)
        assert (denied["cmdUpdateType"], denied["errorCode"]) == ("ALARM_STATUS", 3)

        await _alarm(a.admin, t1, "Noise", "MINOR")  # not CRITICAL: still inactive
        await _alarm(a.admin, t2, "Overheat", "CRITICAL")  # another originator
        critical = await _alarm(a.admin, t1, "Overheat", "CRITICAL")
        assert (await recv_json(connection))["active"] is True
        await _post(a.admin, f"/api/alarm/{critical}/clear")
        assert (await recv_json(connection))["active"] is False
        await send_json(connection, {"cmds": [{"type": "ALARM_STATUS_UNSUBSCRIBE", "cmdId": 9}]})
        await _alarm(a.admin, t1, "Fire", "CRITICAL")
        assert await _count_now(connection, 10, _query("thermostat", statusList=["ACTIVE"])) == 3


async def test_legacy_envelope_serves_alarm_commands(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    await _alarm(a.admin, t1, "Overheat", "CRITICAL")
    async with live.connect(f"/api/ws/plugins/telemetry?token={token_of(a.admin)}") as legacy:
        frame = {
            "alarmDataCmds": [{"cmdId": 1, "query": _query("thermostat")}],
            "alarmCountCmds": [{"cmdId": 2, "query": _query("thermostat")}],
        }
        await send_json(legacy, frame)
        data, count = await recv_json(legacy), await recv_json(legacy)
        assert (data["cmdUpdateType"], data["data"]["totalElements"]) == ("ALARM_DATA", 1)
        assert (count["cmdUpdateType"], count["count"]) == ("ALARM_COUNT_DATA", 1)
        unsubscribe = {
            "alarmDataUnsubscribeCmds": [{"cmdId": 1}],
            "alarmCountUnsubscribeCmds": [{"cmdId": 2}],
        }
        await send_json(legacy, unsubscribe)
        await _alarm(a.admin, t1, "Smoke", "MAJOR")
        await send_json(legacy, {"alarmCountCmds": [{"cmdId": 3, "query": _query("thermostat")}]})
        assert (await recv_json(legacy))["cmdId"] == 3  # nothing was pushed on 1 or 2


async def test_page_sorted_by_a_latest_value_follows_its_writes(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1", "thermostat")
    t2 = await _device(a.admin, "t2", "thermostat")
    first_alarm = await _alarm(a.admin, t1, "High Temperature", "CRITICAL")
    second_alarm = await _alarm(a.admin, t2, "High Temperature", "MAJOR")
    await _write(a.admin, t1, 1000, {"temperature": 30})
    await _write(a.admin, t2, 1000, {"temperature": 20})
    hottest = {"key": {"type": "TIME_SERIES", "key": "temperature"}, "direction": "DESC"}
    query = {**_query("thermostat", sortOrder=hottest), "latestValues": []}
    connection = await live.authed(a.admin)
    async with connection:
        await send_json(connection, {"cmds": [{"type": "ALARM_DATA", "cmdId": 3, "query": query}]})
        first = await recv_json(connection)
        assert [x["id"]["id"] for x in first["data"]["data"]] == [first_alarm, second_alarm]
        await _write(a.admin, t1, 2000, {"humidity": 99})  # not the sort key: no push
        await _write(a.admin, t2, 2000, {"temperature": 45})
        moved = await recv_json(connection)
        assert (moved["cmdId"], moved["update"]) == (3, None)
        assert [x["id"]["id"] for x in moved["data"]["data"]] == [second_alarm, first_alarm]
        assert [x["originatorName"] for x in moved["data"]["data"]] == ["t2", "t1"]
        count = _query("thermostat")
        assert await _count_now(connection, 4, count) == 2  # nothing else was pushed
