"""The REST API while its database is down: a clear, retryable error, and service again
as soon as the database is back (no restart)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from industryos.api.errors import STORAGE_DOWN
from tests.support.node import demo_admin_client, running_node
from tests.support.pg_server import pg_server

DEVICES = ("/api/tenant/devices", {"pageSize": 10, "page": 0})


async def _devices(client: httpx.AsyncClient) -> httpx.Response:
    path, params = DEVICES
    return await client.get(path, params=params)


async def test_rest_answers_503_while_the_database_is_down_and_serves_again_after(
    tmp_path: Path,
) -> None:
    with pg_server() as database:
        async with running_node(tmp_path, database.url) as node, demo_admin_client(node) as api:
            assert (await _devices(api)).status_code == 200
            database.stop()
            for _ in range(2):  # a pooled connection that died, then a connection refused
                down = await _devices(api)
                assert down.status_code == 503, down.text
                assert down.json()["errorCode"] == 46
                assert down.json()["message"] == STORAGE_DOWN
            database.start()
            for _ in range(50):  # each pooled connection that died fails once more
                again = await _devices(api)
                if again.status_code == 200:
                    break
                assert again.status_code == 503, again.text
                await asyncio.sleep(0.1)
            assert again.status_code == 200, again.text
            assert len(again.json()["data"]) == 3
