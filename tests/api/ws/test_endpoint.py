"""Endpoints, authentication and close codes (checklist 21, 23, 24), on a real server."""

from __future__ import annotations

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from industryos.api.ws import WsLimits
from tests.api.ws.conftest import Live, recv_json, send_json, token_of

T = "/api/plugins/telemetry"


async def _device(live: Live, admin: object, name: str = "dev") -> str:
    response = await admin.post("/api/device", json={"name": name})  # type: ignore[attr-defined]
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def test_auth_cmd_then_timeseries_snapshot(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    device = await _device(live, a.admin)
    saved = await a.admin.post(
        f"{T}/DEVICE/{device}/timeseries/ANY", json={"ts": 1000, "values": {"t": 21.5, "h": 40}}
    )
    assert saved.status_code == 200
    async with live.connect() as connection:
        await send_json(
            connection,
            {
                "authCmd": {"cmdId": 0, "token": token_of(a.admin)},
                "cmds": [
                    {
                        "type": "TIMESERIES",
                        "cmdId": 7,
                        "entityType": "DEVICE",
                        "entityId": device,
                        "keys": "t",
                    }
                ],
            },
        )
        reply = await recv_json(connection)
    assert reply == {
        "subscriptionId": 7,
        "errorCode": 0,
        "errorMsg": None,
        "data": {"t": [[1000, "21.5"]]},
        "latestValues": {"t": 1000},
    }


async def test_no_auth_within_timeout_closes_1008(live: Live) -> None:
    live.services.limits = WsLimits(auth_timeout_s=0.2)
    async with live.connect() as connection:
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(connection)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


async def test_first_frame_without_auth_closes_1008(live: Live) -> None:
    async with live.connect() as connection:
        await connection.send('{"cmds": []}')
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(connection)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "Auth cmd is missing")


@pytest.mark.parametrize("where", ["authCmd", "query"])
async def test_bad_token_closes_1007(live: Live, where: str) -> None:
    path = "/api/ws?token=not-a-jwt" if where == "query" else "/api/ws"
    async with live.connect(path) as connection:
        if where == "authCmd":
            await connection.send('{"authCmd": {"cmdId": 0, "token": "not-a-jwt"}}')
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(connection)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007


async def test_refresh_token_closes_1007(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    response = await live.platform.client().post(
        "/api/auth/login", json={"username": "sysadmin@test.local", "password": "sysadmin-pw"}
    )
    refresh = response.json()["refreshToken"]
    del a
    async with live.connect(f"/api/ws?token={refresh}") as connection:
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(connection)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1007


async def test_legacy_commands_on_new_endpoint_get_error_2(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    device = await _device(live, a.admin)
    connection = await live.authed(a.admin)
    async with connection:
        await send_json(
            connection, {"tsSubCmds": [{"cmdId": 3, "entityType": "DEVICE", "entityId": device}]}
        )
        reply = await recv_json(connection)
        assert reply["errorCode"] == 2
        assert reply["errorMsg"] == "Failed to parse the payload"
        await connection.send("not json")
        assert (await recv_json(connection))["errorCode"] == 2


async def test_legacy_endpoint_serves_ts_attr_and_history(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    device = await _device(live, a.admin)
    base = f"{T}/DEVICE/{device}"
    await a.admin.post(f"{base}/timeseries/ANY", json={"ts": 1000, "values": {"t": 1}})
    await a.admin.post(f"{base}/timeseries/ANY", json={"ts": 2000, "values": {"t": 2}})
    await a.admin.post(f"{base}/attributes/SERVER_SCOPE", json={"mode": "eco"})
    path = f"/api/ws/plugins/telemetry?token={token_of(a.admin)}"
    async with live.connect(path) as connection:
        entity = {"entityType": "DEVICE", "entityId": device}
        await send_json(
            connection,
            {
                "tsSubCmds": [{"cmdId": 1, **entity}],
                "attrSubCmds": [{"cmdId": 2, **entity, "scope": "SERVER_SCOPE"}],
                "historyCmds": [
                    {"cmdId": 3, **entity, "keys": "t", "startTs": 0, "endTs": 5000, "limit": 10}
                ],
            },
        )
        replies = {m["subscriptionId"]: m for m in [await recv_json(connection) for _ in range(3)]}
    assert replies[1]["data"] == {"t": [[2000, "2"]]}
    assert replies[2]["data"]["mode"][0][1] == "eco"
    assert sorted(replies[3]["data"]["t"]) == [[1000, "1"], [2000, "2"]]


async def test_legacy_without_token_and_unknown_plugin_are_refused(live: Live) -> None:
    for path in ("/api/ws/plugins/telemetry", "/api/ws/plugins/nonsense?token=x"):
        with pytest.raises(InvalidStatus):
            async with live.connect(path):
                pass


async def test_unsupported_command_type_gets_error_on_its_cmd_id(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    connection = await live.authed(a.admin)
    async with connection:
        await connection.send('{"cmds": [{"type": "ALARM_DATA", "cmdId": 9, "query": {}}]}')
        reply = await recv_json(connection)
    assert (reply["cmdId"], reply["cmdUpdateType"], reply["errorCode"]) == (9, "ALARM_DATA", 2)
