"""The node while its database is down: REST and device HTTP calls get a clear, retryable
error, a device that connects over MQTT is refused as "server unavailable", each logged as
one warning line, and the health check says DOWN; everything serves again once the database
is back, without a restart."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import httpx
import pytest

from industryos.api.errors import STORAGE_DOWN
from industryos.node import HEALTH_DB_TIMEOUT_S, Node
from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.packets import Connack, Connect
from industryos.transport.mqtt.reason_codes import ConnackReturnCode
from tests.support.node import demo_admin_client, running_node
from tests.support.pg_server import pg_server

DEVICES = ("/api/tenant/devices", {"pageSize": 10, "page": 0})
HANDSHAKE = "industryos.transport.mqtt.handshake"
CALL_LOGGERS = {"industryos.api.errors", HANDSHAKE, "uvicorn.error"}


async def _devices(client: httpx.AsyncClient) -> httpx.Response:
    path, params = DEVICES
    return await client.get(path, params=params)


async def _connack(node: Node, token: str) -> Connack:
    assert node.devices is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", node.devices.mqtt.port)
    try:
        writer.write(encode(Connect(f"outage-{token[:6]}", username=token), False))
        (answer,) = StreamDecoder(server=False).feed(await reader.readexactly(4))
    finally:
        writer.close()
        await writer.wait_closed()
    assert isinstance(answer, Connack)
    return answer


async def test_while_the_database_is_down_every_api_says_so_and_serves_again_after(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with pg_server() as database:
        async with running_node(tmp_path, database.url) as node, demo_admin_client(node) as api:
            devices = (await _devices(api)).json()["data"]
            tokens = [
                (await api.get(f"/api/device/{d['id']['id']}/credentials")).json()["credentialsId"]
                for d in devices
            ]
            caplog.clear()
            database.stop()
            for _ in range(2):  # a pooled connection that died, then a connection refused
                down = await _devices(api)
                assert down.status_code == 503, down.text
                assert down.json()["errorCode"] == 46
                assert down.json()["message"] == STORAGE_DOWN
            device_http = await api.post(f"/api/v1/{tokens[0]}/telemetry", json={"t": 1})
            assert device_http.status_code == 503, device_http.text
            refused = await _connack(node, tokens[1])  # credentials not cached: not readable
            assert refused.reason_code == ConnackReturnCode.SERVER_UNAVAILABLE
            health = await api.get("/api/health")
            assert health.status_code == 503
            assert health.json()["status"] == "DOWN"
            assert health.json()["reason"].startswith("the database does not answer")

            database.start()
            for _ in range(50):  # each pooled connection that died fails once more
                again = await _devices(api)
                if again.status_code == 200:
                    break
                assert again.status_code == 503, again.text
                await asyncio.sleep(0.1)
            assert again.status_code == 200, again.text
            assert len(again.json()["data"]) == len(devices)
            assert (await _connack(node, tokens[1])).reason_code == 0
            assert (await api.get("/api/health")).json() == {"status": "UP"}
    # one line per refused call, no traceback: an outage is not a bug (and uvicorn, which
    # logs a traceback for any error Starlette answers with its catch-all handler, says nothing)
    said = [r for r in caplog.records if r.name in CALL_LOGGERS and r.levelno >= logging.WARNING]
    assert {r.name for r in said} == {"industryos.api.errors", HANDSHAKE}, said
    assert [r for r in said if r.exc_info or r.levelno >= logging.ERROR] == []


async def test_a_database_that_hangs_is_down_on_the_health_check_within_seconds(
    tmp_path: Path,
) -> None:
    """A database that stops answering without refusing (a stopped server, a partition): the
    check waits ``HEALTH_DB_TIMEOUT_S`` and then cancels its query, which takes a moment
    more; it answers DOWN instead of hanging like a query without a limit."""
    with pg_server() as database:
        async with (
            running_node(tmp_path, database.url) as node,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{node.http_port}", timeout=30) as client,
        ):
            assert (await client.get("/api/health")).json() == {"status": "UP"}
            with database.frozen():
                started = time.monotonic()
                health = await client.get("/api/health")
                waited = time.monotonic() - started
            assert health.status_code == 503
            assert health.json() == {
                "status": "DOWN",
                "reason": f"the database does not answer in {HEALTH_DB_TIMEOUT_S} s",
            }
            assert HEALTH_DB_TIMEOUT_S <= waited < 10
            assert (await client.get("/api/health")).json() == {"status": "UP"}
