"""The node as a whole: start, health, demo data, restart on the same data, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from industryos.api.app import create_app
from industryos.config import load_settings
from industryos.demo import CUSTOMER_USER_EMAIL, DEMO_DEVICES, SYSADMIN_EMAIL, TENANT_ADMIN_EMAIL
from industryos.node import Node
from tests.api.conftest import TEST_SECRET


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"X-Authorization": f"Bearer {response.json()['token']}"}


async def test_node_starts_with_demo_data_and_restarts(tmp_path: Path, db_url: str) -> None:
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
    for _ in range(2):  # the second start finds its data and adds nothing
        node = Node(settings)
        await node.start()
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.http_port}") as client:
                assert (await client.get("/api/health")).json() == {"status": "UP"}
                await _login(client, SYSADMIN_EMAIL, "sysadmin")
                await _login(client, CUSTOMER_USER_EMAIL, "customer")
                headers = await _login(client, TENANT_ADMIN_EMAIL, "tenant")
                devices = await client.get(
                    "/api/tenant/devices", params={"pageSize": 100, "page": 0}, headers=headers
                )
                assert devices.status_code == 200
                assert sorted(d["name"] for d in devices.json()["data"]) == sorted(DEMO_DEVICES)
        finally:
            await node.stop()


async def test_health_is_503_until_ready() -> None:
    ready = False
    app = create_app(None, ready=lambda: ready)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/api/health")).status_code == 503
        ready = True
        response = await client.get("/api/health")
        assert response.status_code == 200
        assert response.json() == {"status": "UP"}


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(60)
def test_cli_run_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "INDUSTRYOS_DATA_DIR": str(tmp_path),
        "INDUSTRYOS_HTTP_PORT": str(port),
        "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
        "INDUSTRYOS_MQTT_PORT": "0",
        "INDUSTRYOS_MQTT_TLS_PORT": "0",
        "INDUSTRYOS_COAP_PORT": "0",
    }
    env.pop("INDUSTRYOS_DB_URL", None)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "industryos.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        while time.monotonic() - started < 30 and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code
            except httpx.TransportError:
                status = None
            if status == 200:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM if status == 200 else signal.SIGKILL)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert status == 200, f"node did not become ready: {output}"
    assert process.returncode == 0, output
    assert "node stopped" in output
