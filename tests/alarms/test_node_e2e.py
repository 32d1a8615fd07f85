"""End to end on a real node: a device posts telemetry over the HTTP device API, the root
chain's device profile node evaluates the profile's alarm rule, the alarm is seen over REST,
and clearing it over REST lets the next breach raise a new alarm (checklist 31, 33); a profile
saved with other rules applies from the next message on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.node import demo_admin_client, running_node

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


async def device_with_rule(
    client: httpx.AsyncClient, name: str, headers: dict[str, str] | None = None
) -> tuple[dict[str, Any], str, str]:
    """A profile with :data:`RULE` (as saved), a device of it, and the device's token;
    ``headers`` when the client is not logged in as the tenant admin itself."""
    body = {
        "name": f"{name}-profile",
        "type": "DEFAULT",
        "transportType": "DEFAULT",
        "profileData": {
            "configuration": {"type": "DEFAULT"},
            "transportConfiguration": {"type": "DEFAULT"},
            "alarms": [RULE],
        },
    }
    saved = await client.post("/api/deviceProfile", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    profile = saved.json()
    created = await client.post(
        "/api/device", json={"name": name, "deviceProfileId": profile["id"]}, headers=headers
    )
    assert created.status_code == 200, created.text
    device_id = created.json()["id"]["id"]
    credentials = await client.get(f"/api/device/{device_id}/credentials", headers=headers)
    assert credentials.status_code == 200, credentials.text
    return profile, device_id, credentials.json()["credentialsId"]


@pytest.fixture
async def client(tmp_path: Path, db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The demo tenant admin's REST client of a started embedded node."""
    async with running_node(tmp_path, db_url) as node, demo_admin_client(node) as admin:
        yield admin


async def test_device_telemetry_raises_alarm_seen_over_rest(client: httpx.AsyncClient) -> None:
    _, device_id, token = await device_with_rule(client, "t-1")
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


async def test_edited_alarm_rules_apply_to_the_next_message(client: httpx.AsyncClient) -> None:
    """A profile saved with a new threshold is evaluated from the next message on, for a
    device whose state the node already holds (ThingsBoard: the profile cache's update
    reaches every device profile node)."""
    profile, device_id, token = await device_with_rule(client, "t-2")
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


async def _stored(client: httpx.AsyncClient, device_id: str, value: int) -> None:
    """Wait until the rule engine stored ``temperature`` = ``value`` (the message is done)."""
    url = f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries"
    for _ in range(400):
        latest = (await client.get(url, params={"keys": "temperature"})).json()
        if latest.get("temperature", [{}])[0].get("value") == str(value):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"temperature {value} was not stored")
