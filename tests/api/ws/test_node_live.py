"""End to end on a real node: a device posts telemetry over the HTTP device API and a
subscribed WebSocket client receives it (checklist 21, 22), or the alarm a device-profile
rule raises from it; both pushed from the write path."""

from __future__ import annotations

from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from tests.alarms.test_node_e2e import device_with_rule
from tests.api.ws.conftest import recv_json, send_json
from tests.support.node import demo_admin_client, running_node


def _jwt(client: httpx.AsyncClient) -> str:
    """The access token the client logged in with (the WebSocket's ``authCmd`` carries it)."""
    return client.headers["X-Authorization"].removeprefix("Bearer ")


async def test_device_telemetry_reaches_subscribed_dashboard(tmp_path: Path, db_url: str) -> None:
    async with running_node(tmp_path, db_url) as node, demo_admin_client(node) as client:
        device = (await client.post("/api/device", json={"name": "ws-dev"})).json()
        device_id = device["id"]["id"]
        credentials = await client.get(f"/api/device/{device_id}/credentials")
        access_token = credentials.json()["credentialsId"]
        posted = await client.post(f"/api/v1/{access_token}/telemetry", json={"t": 1, "h": 2})
        assert posted.status_code == 200
        async with connect(f"ws://127.0.0.1:{node.http_port}/api/ws") as ws:
            subscribe = {
                "type": "TIMESERIES",
                "cmdId": 1,
                "entityType": "DEVICE",
                "entityId": device_id,
                "keys": "t,h",
            }
            auth = {"cmdId": 0, "token": _jwt(client)}
            await send_json(ws, {"authCmd": auth, "cmds": [subscribe]})
            snapshot = await recv_json(ws)
            while set(snapshot["data"]) != {"t", "h"}:  # the first post may still be queued
                snapshot = await recv_json(ws)
            assert snapshot["errorCode"] == 0
            posted = await client.post(
                f"/api/v1/{access_token}/telemetry",
                json={"ts": 4_000_000_000_000, "values": {"t": 7.5}},
            )
            assert posted.status_code == 200
            update = await recv_json(ws)
            assert update["subscriptionId"] == 1
            assert update["data"] == {"t": [[4_000_000_000_000, "7.5"]]}
            assert update["latestValues"] == {"t": 4_000_000_000_000}


async def test_device_profile_alarm_reaches_alarm_data_subscription(
    tmp_path: Path, db_url: str
) -> None:
    """Telemetry over the device API → the profile's alarm rule in the rule engine → the
    alarm service → ALARM_DATA pushes the new page (spec §4.5), no polling involved."""
    async with running_node(tmp_path, db_url) as node, demo_admin_client(node) as client:
        _, device_id, access_token = await device_with_rule(client, "ws-t1")
        query = {
            "entityFilter": {
                "type": "singleEntity",
                "singleEntity": {"entityType": "DEVICE", "id": device_id},
            },
            "pageLink": {"pageSize": 10, "page": 0, "statusList": ["ACTIVE"]},
        }
        async with connect(f"ws://127.0.0.1:{node.http_port}/api/ws") as ws:
            cmd = {"type": "ALARM_DATA", "cmdId": 1, "query": query}
            auth = {"cmdId": 0, "token": _jwt(client)}
            await send_json(ws, {"authCmd": auth, "cmds": [cmd]})
            first = await recv_json(ws)
            assert first["data"]["totalElements"] == 0
            posted = await client.post(
                f"/api/v1/{access_token}/telemetry", json={"temperature": 61}
            )
            assert posted.status_code == 200
            pushed = await recv_json(ws)
            assert pushed["cmdUpdateType"] == "ALARM_DATA"
            [alarm] = pushed["data"]["data"]
            assert (alarm["type"], alarm["severity"], alarm["status"]) == (
                "High Temperature",
                "CRITICAL",
                "ACTIVE_UNACK",
            )
            assert alarm["entityId"] == {"entityType": "DEVICE", "id": device_id}
