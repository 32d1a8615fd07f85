"""Device telemetry through the root chain of a real node, across a kill -9 (checklist 29).

A node runs as its own process (``python -m industryos.cli run``). Telemetry is posted
over the HTTP device API as fast as the node takes it; every 200 means the message is
durably queued. The node is SIGKILLed mid-stream, while messages are in the rule engine,
and started again on the same data: every acknowledged message must then be stored as a
time series (processed at least once), with client attributes in CLIENT_SCOPE.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest

from industryos.demo import TENANT_ADMIN_EMAIL
from tests.api.conftest import TEST_SECRET
from tests.support.node_process import RunningNode, start_node_process

TOKEN = "rule-crash-token-01"


def _start(data_dir: Path) -> tuple[RunningNode, str]:
    """A node on ``data_dir`` and its REST base URL, once it is ready."""
    node = start_node_process(data_dir, {"INDUSTRYOS_JWT_SECRET": TEST_SECRET})
    return node, f"http://127.0.0.1:{node.wait_ready().http}"


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login", json={"username": TENANT_ADMIN_EMAIL, "password": "tenant"}
    )
    assert response.status_code == 200, response.text
    return {"X-Authorization": f"Bearer {response.json()['token']}"}


@pytest.mark.timeout(120)
async def test_acknowledged_telemetry_survives_kill_9_in_the_rule_engine(tmp_path: Path) -> None:
    node, base = _start(tmp_path)
    process = node.process
    acked: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            headers = await _login(client)
            device = await client.post(
                "/api/device",
                params={"accessToken": TOKEN},
                json={"name": "crash-device", "type": "default"},
                headers=headers,
            )
            assert device.status_code == 200, device.text
            device_id = device.json()["id"]["id"]
            attrs = await client.post(f"/api/v1/{TOKEN}/attributes", json={"fw": "v2.1-beta"})
            assert attrs.status_code == 200

            enough = asyncio.Event()

            async def publisher(worker: int) -> None:
                for i in range(worker, 100_000, 8):
                    try:
                        response = await client.post(
                            f"/api/v1/{TOKEN}/telemetry", json={"ts": i + 1, "values": {"n": i}}
                        )
                    except httpx.TransportError:
                        return
                    if response.status_code == 200:
                        acked.append(i)
                        if len(acked) >= 300:
                            enough.set()

            workers = [asyncio.create_task(publisher(w)) for w in range(8)]
            await enough.wait()
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            await asyncio.gather(*workers)
        assert len(acked) >= 300
        node, base = _start(tmp_path)
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            headers = await _login(client)
            url = f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries"
            params: dict[str, str | int] = {
                "keys": "n",
                "startTs": 0,
                "endTs": 1_000_000,
                "limit": 100_000,
            }
            deadline = time.monotonic() + 60
            stored: set[int] = set()
            while time.monotonic() < deadline:
                body = (await client.get(url, params=params, headers=headers)).json()
                stored = {int(p["value"]) for p in body.get("n", [])}
                if stored >= set(acked):
                    break
                await asyncio.sleep(0.2)
            assert set(acked) - stored == set()
            client_attrs = await client.get(
                f"/api/plugins/telemetry/DEVICE/{device_id}/values/attributes/CLIENT_SCOPE",
                headers=headers,
            )
            assert {a["key"]: a["value"] for a in client_attrs.json()} == {"fw": "v2.1-beta"}
    finally:
        node.stop(20)
