"""Checklist 39 on a live node: HTTP device traffic makes the device active (SERVER_SCOPE
``active``, ``lastActivityTime``); silence past its ``inactivityTimeout`` attribute (ms) makes
it inactive with ``inactivityAlarmTime``, found by the node's own periodic check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from tests.support.node import demo_admin_client, running_node


async def _server_attributes(client: httpx.AsyncClient, device_id: str) -> dict[str, Any]:
    found = await client.get(
        f"/api/plugins/telemetry/DEVICE/{device_id}/values/attributes/SERVER_SCOPE"
    )
    assert found.status_code == 200, found.text
    return {a["key"]: a["value"] for a in found.json()}


async def _until(
    client: httpx.AsyncClient, device_id: str, key: str, value: object
) -> dict[str, Any]:
    for _ in range(300):
        values = await _server_attributes(client, device_id)
        if values.get(key) == value:
            return values
        await asyncio.sleep(0.05)
    raise AssertionError(f"{key} never became {value}: {values}")


async def test_traffic_then_silence(tmp_path: Path, db_url: str) -> None:
    async with (
        running_node(tmp_path, db_url, state_check_interval_s=0.3) as node,
        demo_admin_client(node) as client,
    ):
        device = (await client.post("/api/device", json={"name": "state-1"})).json()
        device_id = device["id"]["id"]
        saved = await client.post(
            f"/api/plugins/telemetry/DEVICE/{device_id}/attributes/SERVER_SCOPE",
            json={"inactivityTimeout": 1500},
        )
        assert saved.status_code == 200, saved.text
        token = (await client.get(f"/api/device/{device_id}/credentials")).json()["credentialsId"]
        posted = await client.post(f"/api/v1/{token}/telemetry", json={"temperature": 20})
        assert posted.status_code == 200
        active = await _until(client, device_id, "active", True)
        assert active["lastActivityTime"] > 0 and active["inactivityAlarmTime"] == 0
        inactive = await _until(client, device_id, "active", False)
        assert inactive["inactivityAlarmTime"] >= active["lastActivityTime"] + 1500
