"""Assertions and shortcuts the entity REST tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from tb_rest_client.rest_client import RestClient

from industryos.api.server import HttpServer
from tests.api.conftest import Platform

PAGE = {"pageSize": 100, "page": 0}
NULL_UUID = "13814000-1dd2-11b2-8080-808080808080"
JSON = {"Content-Type": "application/json"}


def assert_error(response: httpx.Response, status: int, code: int) -> None:
    """``response`` is the contract's error body with this status and errorCode."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert body["errorCode"] == code
    assert isinstance(body["message"], str)
    assert isinstance(body["timestamp"], int)


async def create(client: httpx.AsyncClient, path: str, **fields: Any) -> dict[str, Any]:
    """POST an entity and return the saved JSON (must succeed)."""
    response = await client.post(path, json=fields)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def create_device(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    """A new device of the client's tenant."""
    return await create(client, "/api/device", name=name, **fields)


async def total(client: httpx.AsyncClient, path: str, **params: Any) -> int:
    """``totalElements`` of a list endpoint."""
    response = await client.get(path, params={**PAGE, **params})
    assert response.status_code == 200, response.text
    return int(response.json()["totalElements"])


@asynccontextmanager
async def tb_rest_client(platform: Platform, as_client: httpx.AsyncClient) -> AsyncIterator[Tb]:
    """The real tb-rest-client on a loopback socket, using ``as_client``'s access token."""
    server = HttpServer(platform.app, "127.0.0.1", 0)
    await server.start()
    try:
        client = RestClient(f"http://127.0.0.1:{server.port}")
        token = as_client.headers["X-Authorization"].removeprefix("Bearer ")
        client.token_login(token)
        yield Tb(client)
    finally:
        await server.stop()


class Tb:
    """Runs blocking tb-rest-client calls off the loop, so the in-loop server keeps serving."""

    def __init__(self, client: RestClient) -> None:
        self.client = client

    async def __call__(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``await tb("get_tenant_assets", 10, 0)``."""
        return await asyncio.to_thread(getattr(self.client, method), *args, **kwargs)
