"""End to end on a real node: a device posts telemetry over the HTTP device API, the root
chain's device profile node evaluates the profile's alarm rule, the alarm is seen over REST,
and clearing it over REST lets the next breach raise a new alarm (checklist 31, 33)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from industryos.config import load_settings
from industryos.demo import TENANT_ADMIN_EMAIL
from industryos.node import Node
from tests.api.conftest import TEST_SECRET

RULE = {
    "id": "highTemp",
    "alarmType": "High Temperature",
    "createRules": {
        "CRITICAL": {
            "condition": {
                "condition": [
                    {
                        "key": {"type": "TIME_SERIES", "key": "temperature"},
                        "valueType": "NUMERIC",
                        "predicate": {
                            "type": "NUMERIC",
                            "operation": "GREATER",
                            "value": {"defaultValue": 50},
                        },
                    }
                ],
                "spec": {"type": "SIMPLE"},
            },
            "alarmDetails": "Temp is ${temperature}",
        }
    },
    "propagate": False,
}


async def _alarms(client: httpx.AsyncClient, device_id: str) -> list[dict[str, Any]]:
    page = await client.get(f"/api/alarm/DEVICE/{device_id}", params={"pageSize": 10, "page": 0})
    assert page.status_code == 200, page.text
    return list(page.json()["data"])


async def _until(client: httpx.AsyncClient, device_id: str, count: int) -> list[dict[str, Any]]:
    for _ in range(400):
        found = await _alarms(client, device_id)
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"expected {count} alarms, have {await _alarms(client, device_id)}")


async def test_device_telemetry_raises_alarm_seen_over_rest(tmp_path: Path, db_url: str) -> None:
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
            client.headers["X-Authorization"] = f"Bearer {login.json()['token']}"
            profile = (
                await client.post(
                    "/api/deviceProfile",
                    json={
                        "name": "alarm-thermo",
                        "type": "DEFAULT",
                        "transportType": "DEFAULT",
                        "profileData": {
                            "configuration": {"type": "DEFAULT"},
                            "transportConfiguration": {"type": "DEFAULT"},
                            "alarms": [RULE],
                        },
                    },
                )
            ).json()
            device = (
                await client.post(
                    "/api/device", json={"name": "t-1", "deviceProfileId": profile["id"]}
                )
            ).json()
            device_id = device["id"]["id"]
            creds = await client.get(f"/api/device/{device_id}/credentials")
            token = creds.json()["credentialsId"]
            assert (
                await client.post(f"/api/v1/{token}/telemetry", json={"temperature": 20})
            ).status_code == 200
            assert (
                await client.post(f"/api/v1/{token}/telemetry", json={"temperature": 61})
            ).status_code == 200
            [alarm] = await _until(client, device_id, 1)
            assert alarm["type"] == "High Temperature"
            assert alarm["severity"] == "CRITICAL"
            assert alarm["status"] == "ACTIVE_UNACK"
            assert alarm["details"] == {"data": "Temp is 61"}
            cleared = await client.post(f"/api/alarm/{alarm['id']['id']}/clear")
            assert cleared.json()["status"] == "CLEARED_UNACK"
            assert (
                await client.post(f"/api/v1/{token}/telemetry", json={"temperature": 70})
            ).status_code == 200
            found = await _until(client, device_id, 2)
            active = [a for a in found if a["status"] == "ACTIVE_UNACK"]
            assert len(active) == 1 and active[0]["id"] != alarm["id"]
    finally:
        await node.stop()


async def test_edited_alarm_rules_apply_to_the_next_message(tmp_path: Path, db_url: str) -> None:
    """A profile saved with a new threshold is evaluated from the next message on, for a
    device whose state the node already holds (ThingsBoard: the profile cache's update
    reaches every device profile node)."""
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
            client.headers["X-Authorization"] = f"Bearer {login.json()['token']}"
            body = {
                "name": "edited-thermo",
                "type": "DEFAULT",
                "transportType": "DEFAULT",
                "profileData": {
                    "configuration": {"type": "DEFAULT"},
                    "transportConfiguration": {"type": "DEFAULT"},
                    "alarms": [RULE],
                },
            }
            profile = (await client.post("/api/deviceProfile", json=body)).json()
            device = (
                await client.post(
                    "/api/device", json={"name": "t-2", "deviceProfileId": profile["id"]}
                )
            ).json()
            device_id = device["id"]["id"]
            token = (await client.get(f"/api/device/{device_id}/credentials")).json()[
                "credentialsId"
            ]
            telemetry = f"/api/v1/{token}/telemetry"
            assert (await client.post(telemetry, json={"temperature": 30})).status_code == 200
            await _stored(client, device_id, 30)  # evaluated against 50: no alarm
            assert await _alarms(client, device_id) == []
            lower = json.loads(json.dumps(RULE))
            create = lower["createRules"]["CRITICAL"]["condition"]["condition"][0]
            create["predicate"]["value"]["defaultValue"] = 25
            profile["profileData"]["alarms"] = [lower]
            saved = await client.post("/api/deviceProfile", json=profile)
            assert saved.status_code == 200, saved.text
            assert (await client.post(telemetry, json={"temperature": 31})).status_code == 200
            [alarm] = await _until(client, device_id, 1)
            assert alarm["details"] == {"data": "Temp is 31"}
    finally:
        await node.stop()


async def _stored(client: httpx.AsyncClient, device_id: str, value: int) -> None:
    """Wait until the rule engine stored ``temperature`` = ``value`` (the message is done)."""
    url = f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries"
    for _ in range(400):
        latest = (await client.get(url, params={"keys": "temperature"})).json()
        if latest.get("temperature", [{}])[0].get("value") == str(value):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"temperature {value} was not stored")
