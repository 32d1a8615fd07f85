"""Assertions and shortcuts the entity REST tests share."""

from __future__ import annotations

from typing import Any

import httpx

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
