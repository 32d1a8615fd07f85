"""Backpressure: a client that stops reading is dropped with 1008, memory stays bounded."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from industryos.api.ws import WsLimits
from industryos.api.ws.outbox import Outbox
from industryos.telemetry.kv import AttributeScope, kv_entry
from tests.api.ws.conftest import Live, recv_json, send_json


async def test_outbox_overflows_at_its_bound_and_keeps_order() -> None:
    sent: list[str] = []
    gate = asyncio.Event()

    async def send(text: str) -> None:
        await gate.wait()
        sent.append(text)

    outbox = Outbox(send, max_pending=3)
    runner = asyncio.create_task(outbox.run())
    assert all(outbox.put(str(i)) for i in range(3))
    await asyncio.sleep(0)  # the writer takes "0" and blocks in send
    assert outbox.put("3")
    assert not outbox.put("4")
    assert outbox.overflowed.is_set()
    assert len(outbox) == 0
    assert not outbox.put("5")
    gate.set()
    await asyncio.wait_for(runner, 5)
    assert sent == ["0"]


async def test_outbox_sends_in_order() -> None:
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    outbox = Outbox(send, max_pending=10)
    runner = asyncio.create_task(outbox.run())
    for i in range(5):
        outbox.put(str(i))
    for _ in range(10):  # one loop turn is enough; a few more cost nothing
        await asyncio.sleep(0)
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert sent == ["0", "1", "2", "3", "4"]


async def _read_until_closed(connection: ClientConnection) -> None:
    while True:
        await recv_json(connection)


async def test_slow_client_is_dropped_with_1008(live: Live) -> None:
    live.services.limits = WsLimits(max_pending=5)
    a = await live.platform.new_tenant("A")
    created = await a.admin.post("/api/device", json={"name": "chatty"})
    device = uuid.UUID(created.json()["id"]["id"])
    # No permessage-deflate: repeated text would compress to nothing and never fill buffers.
    connection = await live.authed(a.admin, compression=None)
    async with connection:
        await send_json(
            connection,
            {
                "cmds": [
                    {
                        "type": "ATTRIBUTES",
                        "cmdId": 1,
                        "entityType": "DEVICE",
                        "entityId": str(device),
                        "scope": "SERVER_SCOPE",
                    }
                ]
            },
        )
        await recv_json(connection)
        connection.transport.pause_reading()  # the client stops reading
        big = "x" * 200_000
        telemetry = live.platform.core.telemetry
        tenant = uuid.UUID(a.tenant_id)
        for i in range(2000):
            await telemetry.save_attributes(
                tenant, device, AttributeScope.SERVER_SCOPE, [kv_entry("blob", f"{i}{big}")]
            )
            if live.services.stats.dropped_slow:
                break
        assert live.services.stats.dropped_slow == 1
        assert len(telemetry.listeners) == 0  # its subscriptions are gone
        connection.transport.resume_reading()
        with pytest.raises(ConnectionClosed) as closed:
            await _read_until_closed(connection)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        1008,
        "Max pending updates limit reached!",
    )
