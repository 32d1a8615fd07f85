"""ENTITY_DATA time series: ``historyCmd``, ``tsCmd`` (window then live points),
``aggHistoryCmd`` and ``aggTsCmd`` on the page's entities, in ThingsBoard's reply shapes."""

from __future__ import annotations

from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection

from tests.api.ws.conftest import Live, recv_json, send_json

T = "/api/plugins/telemetry"


async def _device(admin: httpx.AsyncClient, name: str, type_: str = "thermostat") -> str:
    response = await admin.post("/api/device", json={"name": name, "type": type_})
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _write(admin: httpx.AsyncClient, device: str, points: list[dict[str, Any]]) -> None:
    response = await admin.post(f"{T}/DEVICE/{device}/timeseries/ANY", json=points)
    assert response.status_code == 200, response.text


PAGE_LINK: dict[str, Any] = {
    "pageSize": 10,
    "page": 0,
    "sortOrder": {"key": {"type": "ENTITY_FIELD", "key": "name"}, "direction": "ASC"},
}
QUERY: dict[str, Any] = {
    "entityFilter": {"type": "deviceType", "deviceTypes": ["thermostat"]},
    "entityFields": [{"type": "ENTITY_FIELD", "key": "name"}],
    "pageLink": PAGE_LINK,
}
POINTS = [
    {"ts": 1000, "values": {"temperature": 10}},
    {"ts": 1500, "values": {"temperature": 20}},
    {"ts": 2500, "values": {"temperature": 30}},
    {"ts": 3000, "values": {"temperature": 99}},  # outside [1000, 3000)
]


async def _page(connection: ClientConnection, cmd: dict[str, Any]) -> list[dict[str, Any]]:
    await send_json(connection, {"cmds": [{"type": "ENTITY_DATA", "query": QUERY, **cmd}]})
    reply = await recv_json(connection)
    assert (reply["cmdId"], reply["cmdUpdateType"], reply["errorCode"]) == (
        cmd["cmdId"],
        "ENTITY_DATA",
        0,
    ), reply
    assert reply["update"] is None
    return list(reply["data"]["data"])


def _series(item: dict[str, Any], key: str = "temperature") -> list[tuple[int, str]]:
    return [(point["ts"], point["value"]) for point in item["timeseries"][key]]


async def test_history_raw_and_aggregated(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    t2 = await _device(a.admin, "t2")
    await _write(a.admin, t1, POINTS)
    connection = await live.authed(a.admin)
    async with connection:
        window = {"keys": ["temperature"], "startTs": 1000, "endTs": 3000}
        raw = await _page(connection, {"cmdId": 1, "historyCmd": {**window, "limit": 2}})
        assert [item["entityId"]["id"] for item in raw] == [t1, t2]
        assert _series(raw[0]) == [(2500, "30"), (1500, "20")]  # newest first, limit 2
        assert raw[1]["timeseries"] == {"temperature": []}
        assert raw[0]["latest"]["ENTITY_FIELD"]["name"]["value"] == "t1"

        expected = {
            "AVG": [(1500, "15.0"), (2500, "30.0")],
            "MIN": [(1500, "10"), (2500, "30")],
            "MAX": [(1500, "20"), (2500, "30")],
            "SUM": [(1500, "30"), (2500, "30")],
            "COUNT": [(1500, "2"), (2500, "1")],
        }
        for cmd_id, (agg, points) in enumerate(expected.items(), start=2):
            cmd = {**window, "agg": agg, "interval": 1000}
            page = await _page(connection, {"cmdId": cmd_id, "historyCmd": cmd})
            assert _series(page[0]) == points, agg
            assert page[1]["timeseries"] == {"temperature": []}


async def test_bad_time_series_commands_are_bad_requests(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    await _device(a.admin, "t1")
    connection = await live.authed(a.admin)
    async with connection:
        bad = [
            {"historyCmd": {"keys": ["t"], "startTs": 0, "endTs": 10, "agg": "MEDIAN"}},
            {"historyCmd": {"keys": ["t"], "startTs": 0, "endTs": 10, "agg": "AVG"}},
            {
                "tsCmd": {
                    "keys": "t",
                    "startTs": 0,
                    "timeWindow": 10**9,
                    "agg": "AVG",
                    "interval": 1,
                }
            },
            {"aggHistoryCmd": {"keys": [{"id": 1}], "startTs": 0, "endTs": 10}},
        ]
        for cmd_id, cmd in enumerate(bad, start=1):
            message = {"type": "ENTITY_DATA", "cmdId": cmd_id, "query": QUERY, **cmd}
            await send_json(connection, {"cmds": [message]})
            error = await recv_json(connection)
            assert (error["cmdId"], error["cmdUpdateType"], error["errorCode"]) == (
                cmd_id,
                "ENTITY_DATA",
                2,
            ), error
            assert error["errorMsg"]
    assert len(live.platform.core.telemetry.listeners) == 0


async def test_ts_cmd_window_then_live_points_then_unsubscribe(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    t2 = await _device(a.admin, "t2")
    meter = await _device(a.admin, "m", "meter")
    await _write(a.admin, t1, POINTS)
    connection = await live.authed(a.admin)
    async with connection:
        ts_cmd = {"keys": ["temperature"], "startTs": 1000, "timeWindow": 2000, "limit": 10}
        page = await _page(connection, {"cmdId": 7, "tsCmd": ts_cmd})
        assert _series(page[0]) == [(2500, "30"), (1500, "20"), (1000, "10")]
        assert page[1]["timeseries"] == {"temperature": []}

        await _write(a.admin, meter, [{"ts": 5000, "values": {"temperature": 1}}])  # off page
        await _write(a.admin, t2, [{"ts": 500, "values": {"temperature": 2}}])  # before start
        await _write(a.admin, t2, [{"ts": 5000, "values": {"temperature": 21.5, "hum": 3}}])
        pushed = await recv_json(connection)
        assert pushed == {
            "cmdId": 7,
            "cmdUpdateType": "ENTITY_DATA",
            "errorCode": 0,
            "errorMsg": None,
            "data": None,
            "update": [
                {
                    "entityId": {"entityType": "DEVICE", "id": t2},
                    "latest": {},
                    "timeseries": {"temperature": [{"ts": 5000, "value": "21.5"}]},
                }
            ],
            "allowedEntities": live.services.limits.max_entities_per_data_sub,
        }
        points = [
            {"ts": 6000, "values": {"temperature": 1}},
            {"ts": 6001, "values": {"temperature": 2}},
        ]
        await _write(a.admin, t1, points)
        pushed = await recv_json(connection)
        assert pushed["update"][0]["entityId"]["id"] == t1
        assert _series(pushed["update"][0]) == [(6000, "1"), (6001, "2")]

        await send_json(connection, {"cmds": [{"type": "ENTITY_DATA_UNSUBSCRIBE", "cmdId": 7}]})
        await _write(a.admin, t1, [{"ts": 7000, "values": {"temperature": 5}}])
        count = {
            "type": "ENTITY_COUNT",
            "cmdId": 8,
            "query": {"entityFilter": QUERY["entityFilter"]},
        }
        await send_json(connection, {"cmds": [count]})
        assert (await recv_json(connection))["cmdUpdateType"] == "COUNT_DATA"  # nothing pushed
    assert len(live.platform.core.telemetry.listeners) == 0


async def test_ts_cmd_on_an_open_page_and_previous_point(live: Live) -> None:
    """ThingsBoard's chart resends only ``tsCmd`` on the same ``cmdId`` when its window moves."""
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    await _write(a.admin, t1, POINTS)
    connection = await live.authed(a.admin)
    async with connection:
        page = await _page(connection, {"cmdId": 3})
        assert page[0]["timeseries"] == {}
        ts_cmd = {
            "keys": ["temperature"],
            "startTs": 2000,
            "timeWindow": 5000,
            "fetchLatestPreviousPoint": True,
        }
        await send_json(
            connection, {"cmds": [{"type": "ENTITY_DATA", "cmdId": 3, "tsCmd": ts_cmd}]}
        )
        update = await recv_json(connection)
        assert update["data"] is None
        assert update["update"][0]["entityId"]["id"] == t1
        # the window's points and the newest point before it, newest first
        assert _series(update["update"][0]) == [(3000, "99"), (2500, "30"), (1500, "20")]
        await _write(a.admin, t1, [{"ts": 4000, "values": {"temperature": 40}}])
        assert _series((await recv_json(connection))["update"][0]) == [(4000, "40")]


async def test_agg_history_with_previous_range(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    t2 = await _device(a.admin, "t2")
    await _write(a.admin, t1, POINTS)
    connection = await live.authed(a.admin)
    async with connection:
        keys = [
            {
                "id": 1,
                "key": "temperature",
                "agg": "AVG",
                "previousStartTs": 0,
                "previousEndTs": 1500,
            },
            {"id": 2, "key": "temperature", "agg": "COUNT"},
            {"id": 3, "key": "temperature", "agg": "MAX", "previousValueOnly": True},
        ]
        cmd = {"keys": keys, "startTs": 1000, "endTs": 3000}
        page = await _page(connection, {"cmdId": 4, "aggHistoryCmd": cmd})
        assert page[0]["aggLatest"] == {
            "1": {
                "current": {"ts": 2000, "value": "20.0"},
                "previous": {"ts": 750, "value": "10.0"},
            },
            "2": {"current": {"ts": 2000, "value": "3"}, "previous": None},
            "3": {"current": {"ts": 0, "value": ""}, "previous": {"ts": 0, "value": ""}},
        }
        assert page[1]["entityId"]["id"] == t2
        assert page[1]["aggLatest"] == {
            "1": {"current": {"ts": 0, "value": ""}, "previous": {"ts": 0, "value": ""}},
            "2": {"current": {"ts": 2000, "value": "0"}, "previous": None},
            "3": {"current": {"ts": 0, "value": ""}, "previous": {"ts": 0, "value": ""}},
        }


async def test_agg_ts_cmd_follows_writes(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    t2 = await _device(a.admin, "t2")
    await _write(a.admin, t1, POINTS[:2])
    connection = await live.authed(a.admin)
    async with connection:
        keys = [
            {"id": 5, "key": "temperature", "agg": "SUM"},
            {"id": 6, "key": "temperature", "agg": "MAX"},
        ]
        cmd = {"keys": keys, "startTs": 1000, "timeWindow": 1000}
        page = await _page(connection, {"cmdId": 9, "aggTsCmd": cmd})
        assert page[0]["aggLatest"]["5"]["current"] == {"ts": 1500, "value": "30"}
        assert page[0]["aggLatest"]["6"]["current"] == {"ts": 1500, "value": "20"}

        await _write(a.admin, t2, [{"ts": 1200, "values": {"humidity": 4}}])  # other key
        await _write(a.admin, t1, [{"ts": 2200, "values": {"temperature": 50}}])  # past window end
        update = await recv_json(connection)
        assert update["data"] is None
        [item] = update["update"]
        assert item["entityId"]["id"] == t1
        assert item["aggLatest"]["5"]["current"]["value"] == "80"
        assert item["aggLatest"]["6"]["current"]["value"] == "50"
        assert item["aggLatest"]["6"]["previous"] is None


async def test_history_on_the_legacy_envelope(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    await _write(a.admin, t1, POINTS)
    history = {"keys": ["temperature"], "startTs": 2000, "endTs": 2600}
    token = str(a.admin.headers["X-Authorization"]).removeprefix("Bearer ")
    connection = await live.connect(f"/api/ws/plugins/telemetry?token={token}")
    async with connection:
        cmd = {"cmdId": 1, "query": QUERY, "historyCmd": history}
        await send_json(connection, {"entityDataCmds": [cmd]})
        reply = await recv_json(connection)
        assert reply["cmdUpdateType"] == "ENTITY_DATA"
        assert _series(reply["data"]["data"][0]) == [(2500, "30")]


async def test_dynamic_page_carries_series_of_entities_that_join_it(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    t1 = await _device(a.admin, "t1")
    await _write(a.admin, t1, POINTS)
    connection = await live.authed(a.admin)
    async with connection:
        query = {**QUERY, "pageLink": {**PAGE_LINK, "dynamic": True}}
        ts_cmd = {"keys": ["temperature"], "startTs": 2000, "timeWindow": 10_000}
        cmd = {"type": "ENTITY_DATA", "cmdId": 5, "query": query, "tsCmd": ts_cmd}
        await send_json(connection, {"cmds": [cmd]})
        first = (await recv_json(connection))["data"]["data"]
        assert [_series(item) for item in first] == [[(3000, "99"), (2500, "30")]]

        t0 = await _device(a.admin, "t0")  # sorts first: the page is resent with it
        resent = await recv_json(connection)
        assert resent["update"] is None
        page = resent["data"]["data"]
        assert [item["entityId"]["id"] for item in page] == [t0, t1]
        assert [_series(item) for item in page] == [[], [(3000, "99"), (2500, "30")]]
        await _write(a.admin, t0, [{"ts": 4000, "values": {"temperature": 4}}])
        pushed = await recv_json(connection)
        assert pushed["update"][0]["entityId"]["id"] == t0
        assert _series(pushed["update"][0]) == [(4000, "4")]
