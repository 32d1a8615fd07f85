"""Server-side RPC outcomes and the client-side RPC reply hook, with in-process sessions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from industryos.devices.rpc import (
    CLIENT_RPC_TIMEOUT_BODY,
    ClientRpcReplies,
    RpcOutcome,
    ServerRpc,
)
from industryos.devices.sessions import DeliveryFailed, RpcRequest, SessionRegistry
from industryos.telemetry.listeners import ListenerRegistry


@dataclass
class InProcessSession:
    """A device session whose 'device' is this test: it sees requests and may ack them."""

    wants_rpc: bool = True
    wants_attribute_updates: bool = False
    acknowledge: bool = True
    session_id: uuid.UUID = field(default_factory=uuid.uuid4)
    requests: list[RpcRequest] = field(default_factory=list)
    on_request: Callable[[RpcRequest], object] | None = None

    async def send_attribute_update(self, body: bytes) -> None:
        raise DeliveryFailed("not used")

    async def send_rpc_request(self, request: RpcRequest) -> None:
        self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        if not self.acknowledge:
            await asyncio.sleep(3600)  # never acknowledged


def _setup() -> tuple[ServerRpc, SessionRegistry]:
    registry = SessionRegistry(ListenerRegistry())
    return ServerRpc(registry, delivery_timeout=0.2), registry


async def test_two_way_call_completed_by_the_reply() -> None:
    rpc, registry = _setup()
    device = uuid.uuid4()
    session = InProcessSession()
    session.on_request = lambda r: asyncio.get_running_loop().call_soon(
        rpc.on_reply, device, r.request_id, '{"ok":true}'
    )
    registry.register(device, uuid.uuid4(), session)
    first = await rpc.call(device, "m", '{"a":1}', timeout_s=2)
    second = await rpc.call(device, "m", "[]", timeout_s=2)
    assert (first.outcome, first.response) == (RpcOutcome.RESPONSE, '{"ok":true}')
    assert [r.request_id for r in session.requests] == [1, 2]  # per-device ids
    assert session.requests[0].body() == b'{"method":"m","params":{"a":1}}'
    assert second.request_id == 2 and rpc.pending == 0


async def test_outcomes_without_connection_delivery_or_reply() -> None:
    rpc, registry = _setup()
    device = uuid.uuid4()
    assert (await rpc.call(device, "m")).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    registry.register(device, uuid.uuid4(), InProcessSession(wants_rpc=False))
    assert (await rpc.call(device, "m")).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    unregister = registry.register(device, uuid.uuid4(), InProcessSession(acknowledge=False))
    assert (await rpc.call(device, "m", timeout_s=5)).outcome is RpcOutcome.TIMEOUT
    unregister()
    registry.register(device, uuid.uuid4(), InProcessSession())
    assert (await rpc.call(device, "m", oneway=True)).outcome is RpcOutcome.DELIVERED
    assert (await rpc.call(device, "m", timeout_s=0.1)).outcome is RpcOutcome.TIMEOUT
    assert not rpc.on_reply(device, 99, "{}")


async def test_client_rpc_reply_and_timeout() -> None:
    replies = ClientRpcReplies(timeout=0.05)
    answered = replies.expect("s1", 1)
    assert replies.reply("s1", 1, '{"r":1}')
    assert await answered == '{"r":1}'
    timed_out = replies.expect("s1", 2)
    assert await timed_out == CLIENT_RPC_TIMEOUT_BODY
    assert not replies.reply("s1", 2, "late")
    pending = replies.expect("s2", 1)
    replies.cancel_session("s2")
    with pytest.raises(asyncio.CancelledError):
        await pending
    assert replies.pending == 0
