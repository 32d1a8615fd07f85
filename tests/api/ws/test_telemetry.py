"""v1 subscriptions pushed from the write path (checklist 21, 22), and isolation.

"No update arrived" is checked without waiting on a clock: messages of a session leave
in order, and a REST write publishes to listeners before it returns, so an update for an
unsubscribed or foreign entity would arrive before the reply to a later command.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from websockets.asyncio.client import ClientConnection

from industryos.telemetry import DataType, TsKvEntry
from tests.api.ws.conftest import Live, recv_json, send_json
from tests.support.write_lock import timeseries_commits_held

T = "/api/plugins/telemetry"


async def _device(admin: httpx.AsyncClient, name: str = "dev") -> str:
    response = await admin.post("/api/device", json={"name": name})
    assert response.status_code == 200, response.text
    return str(response.json()["id"]["id"])


async def _write(admin: httpx.AsyncClient, device: str, ts: int, values: dict[str, Any]) -> None:
    response = await admin.post(
        f"{T}/DEVICE/{device}/timeseries/ANY", json={"ts": ts, "values": values}
    )
    assert response.status_code == 200, response.text


async def _barrier(connection: ClientConnection, cmd_id: int) -> Any:
    """Send a one-shot command and return the next message (must be its reply)."""
    await send_json(
        connection,
        {
            "cmds": [
                {
                    "type": "ENTITY_COUNT",
                    "cmdId": cmd_id,
                    "query": {"entityFilter": {"type": "entityType", "entityType": "DEVICE"}},
                }
            ]
        },
    )
    return await recv_json(connection)


async def test_only_changed_keys_are_pushed_then_unsubscribe_stops(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    device = await _device(a.admin)
    await _write(a.admin, device, 1000, {"t": 20, "h": 50})
    connection = await live.authed(a.admin)
    async with connection:
        subscribe = {"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": device}
        await send_json(connection, {"cmds": [subscribe]})
        snapshot = await recv_json(connection)
        assert snapshot["data"] == {"t": [[1000, "20"]], "h": [[1000, "50"]]}
        await _write(a.admin, device, 2000, {"t": 21.5})
        update = await recv_json(connection)
        assert update == {
            "subscriptionId": 1,
            "errorCode": 0,
            "errorMsg": None,
            "data": {"t": [[2000, "21.5"]]},
            "latestValues": {"t": 2000},
        }
        await send_json(connection, {"cmds": [{**subscribe, "unsubscribe": True}]})
        assert (await _barrier(connection, 50))["cmdId"] == 50
        await _write(a.admin, device, 3000, {"t": 22})
        assert (await _barrier(connection, 51))["cmdId"] == 51
    assert len(live.platform.core.telemetry.listeners) == 0


async def test_a_point_is_pushed_once_accepted_not_once_committed(
    live: Live, engine: AsyncEngine
) -> None:
    """The update leaves while the batch holding the point still waits to commit (the
    message carrying it is durable in the queue by then); the point is stored after."""
    a = await live.platform.new_tenant("A")
    device = await _device(a.admin)
    tenant_id, device_id = uuid.UUID(a.tenant_id), uuid.UUID(device)
    telemetry = live.platform.core.telemetry
    connection = await live.authed(a.admin)
    async with connection:
        subscribe = {"type": "TIMESERIES", "cmdId": 1, "entityType": "DEVICE", "entityId": device}
        await send_json(connection, {"cmds": [{**subscribe, "keys": "t"}]})
        assert (await recv_json(connection))["data"] == {}
        point = TsKvEntry(5000, "t", 7, DataType.LONG)
        async with timeseries_commits_held(engine):
            save = asyncio.create_task(telemetry.save_timeseries(tenant_id, device_id, [point]))
            update = await recv_json(connection)
            assert update["data"] == {"t": [[5000, "7"]]}
            assert not save.done()
            assert await telemetry.get_latest(tenant_id, device_id, ["t"]) == []
        await asyncio.wait_for(save, 30)
        assert await telemetry.get_latest(tenant_id, device_id, ["t"]) == [point]


async def test_attribute_subscription_by_scope_and_keys(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    device = await _device(a.admin)
    connection = await live.authed(a.admin)
    base = f"{T}/DEVICE/{device}/attributes"
    async with connection:
        await send_json(
            connection,
            {
                "cmds": [
                    {
                        "type": "ATTRIBUTES",
                        "cmdId": 4,
                        "entityType": "DEVICE",
                        "entityId": device,
                        "scope": "SHARED_SCOPE",
                        "keys": "mode",
                    }
                ]
            },
        )
        assert (await recv_json(connection))["data"] == {}
        await a.admin.post(f"{base}/SERVER_SCOPE", json={"mode": "server-side"})
        await a.admin.post(f"{base}/SHARED_SCOPE", json={"mode": "eco", "other": 1})
        update = await recv_json(connection)
        assert update["subscriptionId"] == 4
        assert list(update["data"]) == ["mode"]
        assert update["data"]["mode"][0][1] == "eco"


async def test_other_tenants_device_is_unauthorized_and_silent(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    b = await live.platform.new_tenant("B")
    device = await _device(a.admin)
    connection = await live.authed(b.admin)
    async with connection:
        for cmd_type in ("TIMESERIES", "ATTRIBUTES", "TIMESERIES_HISTORY"):
            await send_json(
                connection,
                {
                    "cmds": [
                        {
                            "type": cmd_type,
                            "cmdId": 1,
                            "entityType": "DEVICE",
                            "entityId": device,
                            "startTs": 0,
                            "endTs": 10,
                        }
                    ]
                },
            )
            reply = await recv_json(connection)
            assert (reply["subscriptionId"], reply["errorCode"]) == (1, 3)
            assert reply["data"] == {}
        await _write(a.admin, device, 1000, {"secret": 42})
        barrier = await _barrier(connection, 60)
        assert (barrier["cmdId"], barrier["count"]) == (60, 0)


async def test_customer_user_sees_only_own_customers_devices(live: Live) -> None:
    a = await live.platform.new_tenant("A")
    mine = await _device(a.admin, "mine")
    other = await _device(a.admin, "other")
    assigned = await a.admin.post(f"/api/customer/{a.customer_id}/device/{mine}")
    assert assigned.status_code == 200
    connection = await live.authed(a.customer_user)
    async with connection:
        for cmd_id, device in ((1, mine), (2, other)):
            await send_json(
                connection,
                {
                    "cmds": [
                        {
                            "type": "TIMESERIES",
                            "cmdId": cmd_id,
                            "entityType": "DEVICE",
                            "entityId": device,
                        }
                    ]
                },
            )
        replies = {
            m["subscriptionId"]: m["errorCode"]
            for m in [await recv_json(connection) for _ in range(2)]
        }
        assert replies == {1: 0, 2: 3}
