"""End to end on a real node: a device posts telemetry over the HTTP device API and a
subscribed WebSocket client receives it (checklist 21, 22), or the alarm a device-profile
rule raises from it; both pushed from the write path."""

from __future__ import annotations

from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from industryos.config import load_settings
from industryos.demo import TENANT_ADMIN_EMAIL
from industryos.node import Node
from tests.alarms.test_node_e2e import RULE
from tests.api.conftest import TEST_SECRET
from tests.api.ws.conftest import recv_json, send_json


async def test_device_telemetry_reaches_subscribed_dashboard(tmp_path: Path, db_url: str) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        http_port=0,
        http_host="127.0.0.1",
        db_url=db_url,
        jwt_secret=TEST_SECRET,
        mqtt_port=0,
        mqtt_tls_port=0,
        coap_port=0,
    )
    node = Node(settings)
    await node.start()
    try:
        base = f"http://127.0.0.1:{node.http_port}"
        async with httpx.AsyncClient(base_url=base) as client:
            login = await client.post(
                "/api/auth/login", json={"username": TENANT_ADMIN_EMAIL, "password": "tenant"}
            )
            token = login.json()["token"]
            headers = {"X-Authorization": f"Bearer {token}"}
            device = (
                await client.post("/api/device", json={"name": "ws-dev"}, headers=headers)
            ).json()
            device_id = device["id"]["id"]
            credentials = await client.get(f"/api/device/{device_id}/credentials", headers=headers)
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
                await send_json(ws, {"authCmd": {"cmdId": 0, "token": token}, "cmds": [subscribe]})
                snapshot = await recv_json(ws)
                while set(snapshot["data"]) != {
                    "t",
                    "h",
                }:  # the first post may still be in the queue
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
    finally:
        await node.stop()


async def test_device_profile_alarm_reaches_alarm_data_subscription(
    tmp_path: Path, db_url: str
) -> None:
    """Telemetry over the device API → the profile's alarm rule in the rule engine → the
    alarm service → ALARM_DATA pushes the new page (spec §4.5), no polling involved."""
    settings = load_settings(
        data_dir=tmp_path,
        http_port=0,
        http_host="127.0.0.1",
        db_url=db_url,
        jwt_secret=TEST_SECRET,
        mqtt_port=0,
        mqtt_tls_port=0,
        coap_port=0,
    )
    node = Node(settings)
    await node.start()
    try:
        base = f"http://127.0.0.1:{node.http_port}"
        async with httpx.AsyncClient(base_url=base) as client:
            login = await client.post(
                "/api/auth/login", json={"username": TENANT_ADMIN_EMAIL, "password": "tenant"}
            )
            token = login.json()["token"]
            client.headers["X-Authorization"] = f"Bearer {token}"
            profile_body = {
                "name": "ws-alarm-thermo",
                "type": "DEFAULT",
                "transportType": "DEFAULT",
                "profileData": {
                    "configuration": {"type": "DEFAULT"},
                    "transportConfiguration": {"type": "DEFAULT"},
                    "alarms": [RULE],
                },
            }
            profile = (await client.post("/api/deviceProfile", json=profile_body)).json()
            body = {"name": "ws-t1", "deviceProfileId": profile["id"]}
            device_id = (await client.post("/api/device", json=body)).json()["id"]["id"]
            creds = await client.get(f"/api/device/{device_id}/credentials")
            access_token = creds.json()["credentialsId"]
            query = {
                "entityFilter": {
                    "type": "singleEntity",
                    "singleEntity": {"entityType": "DEVICE", "id": device_id},
                },
                "pageLink": {"pageSize": 10, "page": 0, "statusList": ["ACTIVE"]},
            }
            async with connect(f"ws://127.0.0.1:{node.http_port}/api/ws") as ws:
                cmd = {"type": "ALARM_DATA", "cmdId": 1, "query": query}
                await send_json(ws, {"authCmd": {"cmdId": 0, "token": token}, "cmds": [cmd]})
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
    finally:
        await node.stop()
