"""The node as a whole: start, health, demo data, restart on the same data, SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from industryos import node as node_module
from industryos.api.app import create_app
from industryos.demo import CUSTOMER_USER_EMAIL, DEMO_DEVICES, SYSADMIN_EMAIL, TENANT_ADMIN_EMAIL
from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.packets import Connack, Connect, Packet, Puback, Publish
from tests.support.node import demo_admin_client, running_node
from tests.support.node_process import start_node_process


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"X-Authorization": f"Bearer {response.json()['token']}"}


async def test_node_starts_with_demo_data_and_restarts(tmp_path: Path, db_url: str) -> None:
    for _ in range(2):  # the second start finds its data and adds nothing
        async with (
            running_node(tmp_path, db_url) as node,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.http_port}") as client,
        ):
            assert (await client.get("/api/health")).json() == {"status": "UP"}
            await _login(client, SYSADMIN_EMAIL, "sysadmin")
            await _login(client, CUSTOMER_USER_EMAIL, "customer")
            headers = await _login(client, TENANT_ADMIN_EMAIL, "tenant")
            devices = await client.get(
                "/api/tenant/devices", params={"pageSize": 100, "page": 0}, headers=headers
            )
            assert devices.status_code == 200
            assert sorted(d["name"] for d in devices.json()["data"]) == sorted(DEMO_DEVICES)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_health_is_starting_until_every_listener_serves(tmp_path: Path, db_url: str) -> None:
    """The HTTP API serves before the device transports: a check meanwhile gets 503."""
    seen: list[httpx.Response] = []

    async def check(node: node_module.Node) -> None:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.http_port}") as client:
            seen.append(await client.get("/api/health"))

    async with (
        running_node(tmp_path, db_url, before_ready=check) as node,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.http_port}") as client,
    ):
        (starting,) = seen
        assert (starting.status_code, starting.json()) == (503, {"status": "STARTING"})
        up = await client.get("/api/health")
        assert (up.status_code, up.json()) == (200, {"status": "UP"})


async def test_openapi_and_swagger_are_served(tmp_path: Path) -> None:
    app = create_app(None)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        spec = await client.get("/v3/api-docs")
        assert spec.status_code == 200
        assert "/api/auth/login" in spec.json()["paths"]
        page = await client.get("/swagger-ui")
        assert page.status_code == 200
        assert "/swagger-ui/assets/swagger-ui-bundle.js" in page.text  # served locally, no CDN
        script = await client.get("/swagger-ui/assets/swagger-ui-bundle.js")
        assert script.status_code == 200
        assert len(script.content) > 100_000


@pytest.mark.timeout(60)
def test_cli_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    node = start_node_process(tmp_path)
    try:
        ports = node.wait_ready(30)
        health = httpx.get(f"http://127.0.0.1:{ports.http}/api/health", timeout=5)
        assert health.status_code == 200, health.text
        node.process.send_signal(signal.SIGTERM)
        try:
            node.process.wait(20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the node did not stop within 20 s of SIGTERM:\n{node.tail()}")
    finally:
        if node.process.poll() is None:
            node.process.kill()
            node.process.wait()
    assert node.process.returncode == 0, node.tail()
    assert "node stopped" in node.tail()


def _decode(data: bytes) -> list[Packet]:
    """The packets an MQTT 3.1.1 server sent in ``data``."""
    return list(StreamDecoder(server=False).feed(data))


async def test_sessions_that_overrun_the_stop_limit_do_not_lose_the_device_state(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the sessions waits on peers and is cut off after ``STOP_LIMIT_S``; the device
    state kept in memory between flushes (here the last activity) is saved all the same (it
    used to be cut off with the sessions)."""
    monkeypatch.setattr(node_module, "STOP_LIMIT_S", 0.5)
    async with running_node(tmp_path, db_url) as node, demo_admin_client(node) as client:
        device = (await client.post("/api/device", json={"name": "overrun"})).json()
        device_id = device["id"]["id"]
        token = (await client.get(f"/api/device/{device_id}/credentials")).json()["credentialsId"]
        assert node.devices is not None and node.devices.mqtt.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", node.devices.mqtt.port)
        writer.write(encode(Connect("overrun", username=token), False))
        assert _decode(await reader.readexactly(4)) == [Connack()]
        for packet_id in (1, 2):  # the first is an activity event (saved at once), the second not
            telemetry = Publish("v1/devices/me/telemetry", b'{"t": 1}', 1, packet_id=packet_id)
            writer.write(encode(telemetry, False))
            assert _decode(await reader.readexactly(4)) == [Puback(packet_id)]
            last_activity = int(time.time() * 1000)
            await asyncio.sleep(0.3)
        close_mqtt = node.devices.mqtt.close

        async def overrunning() -> None:
            await asyncio.Event().wait()  # sessions that never finish closing

        monkeypatch.setattr(node.devices.mqtt, "close", overrunning)
    await close_mqtt()  # what the stuck part left behind, now the node has stopped
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    async with running_node(tmp_path, db_url) as node, demo_admin_client(node) as client:
        found = await client.get(
            f"/api/plugins/telemetry/DEVICE/{device_id}/values/attributes/SERVER_SCOPE"
        )
        values = {a["key"]: a["value"] for a in found.json()}
    assert values["lastActivityTime"] >= last_activity - 300  # the second message's
    assert values["lastConnectTime"] > 0
