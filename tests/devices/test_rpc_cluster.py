"""Cluster RPC between two nodes' device pieces on one in-process bus: outcomes, tenant
isolation, bad payloads and serving only while a device has a session (the two-node test
over NATS is tests/api/test_rpc_cluster.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.persistent_rpc import PersistentRpc
from industryos.devices.rpc import RpcOutcome, RpcResult, ServerRpc
from industryos.devices.rpc_cluster import ClusterRpc
from industryos.devices.rpc_cluster_wire import (
    RemoteCall,
    RemoteKind,
    decode_result,
    device_subject,
    encode_result,
)
from industryos.devices.rpc_request import ToDeviceRpc
from industryos.devices.rpc_status import RpcStatus
from industryos.devices.rpc_store import RpcStore
from industryos.devices.sessions import RpcRequest, SessionRegistry
from industryos.entities.ids import now_ms
from industryos.queue.bus import InProcessBus, NoResponders
from industryos.storage.database import Database
from industryos.telemetry.listeners import ListenerRegistry
from tests.devices.test_rpc import InProcessSession
from tests.support.recording import RecordingPublisher

TENANT = uuid.uuid4()


@dataclass
class Pieces:
    sessions: SessionRegistry
    rpc: ServerRpc
    cluster: ClusterRpc


@pytest.fixture
async def nodes(engine: AsyncEngine) -> AsyncIterator[tuple[Pieces, Pieces, InProcessBus]]:
    bus = InProcessBus()
    db = Database(engine)
    built = []
    for _ in range(2):
        sessions = SessionRegistry(ListenerRegistry())
        rpc = ServerRpc(sessions, delivery_timeout=0.5)
        persistent = PersistentRpc(db, sessions, rpc, RecordingPublisher(), shared=True)
        built.append(Pieces(sessions, rpc, ClusterRpc(bus, sessions, rpc, persistent)))
    yield built[0], built[1], bus
    for pieces in built:
        await pieces.cluster.stop()
    await bus.close()


def _request(device: uuid.UUID, *, oneway: bool = False, timeout_ms: int = 2_000) -> ToDeviceRpc:
    return ToDeviceRpc(
        request_uuid=uuid.uuid4(),
        tenant_id=TENANT,
        device_id=device,
        method="m",
        params='{"a":1}',
        expiration_time=now_ms() + timeout_ms,
        oneway=oneway,
    )


async def _served(pieces: Pieces, device: uuid.UUID, served: bool = True) -> None:
    for _ in range(100):
        if pieces.cluster.serving(device) is served:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"serving {device} is not {served}")


async def test_outcomes_of_a_device_on_the_other_node(
    nodes: tuple[Pieces, Pieces, InProcessBus],
) -> None:
    a, b, _ = nodes
    device = uuid.uuid4()
    assert (await a.cluster.call(_request(device))).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    session = InProcessSession()

    def answer(request: RpcRequest) -> None:
        asyncio.get_running_loop().call_soon(b.rpc.on_reply, device, request.request_id, '{"ok":1}')

    session.on_request = answer
    unregister = b.sessions.register(device, TENANT, session)
    await _served(b, device)
    reply = await a.cluster.call(_request(device))
    assert (reply.outcome, reply.response, reply.delivered) == (
        RpcOutcome.RESPONSE,
        '{"ok":1}',
        True,
    )
    assert session.requests[0].body() == b'{"method":"m","params":{"a":1}}'
    assert (await a.cluster.call(_request(device, oneway=True))).outcome is RpcOutcome.DELIVERED
    session.on_request = None  # delivered, never answered
    late = await a.cluster.call(_request(device, timeout_ms=200))
    assert (late.outcome, late.delivered) == (RpcOutcome.TIMEOUT, True)
    unregister()
    await _served(b, device, served=False)
    await asyncio.sleep(0.05)  # the subscription closes after the session
    assert (await a.cluster.call(_request(device))).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    assert len(session.requests) == 3


async def test_another_tenant_or_device_is_refused_and_bad_payloads_dropped(
    nodes: tuple[Pieces, Pieces, InProcessBus],
) -> None:
    _, b, bus = nodes
    device, other = uuid.uuid4(), uuid.uuid4()
    session = InProcessSession()
    b.sessions.register(device, TENANT, session)
    b.sessions.register(other, uuid.uuid4(), InProcessSession())
    await _served(b, device)

    async def ask(call: RemoteCall) -> RpcResult:
        return decode_result(await bus.request(device_subject(device), call.encode(), 2.0))

    stranger = RemoteCall(RemoteKind.CALL, uuid.uuid4(), device, uuid.uuid4(), "m", "{}")
    assert (await ask(stranger)).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    wrong_device = RemoteCall(RemoteKind.CALL, TENANT, other, uuid.uuid4(), "m", "{}")
    assert (await ask(wrong_device)).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    garbage = await bus.request(device_subject(device), b"not json", 2.0)
    assert decode_result(garbage).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    assert session.requests == []
    own = RemoteCall(RemoteKind.CALL, TENANT, device, uuid.uuid4(), "m", "{}", True, 1.0)
    assert (await ask(own)).outcome is RpcOutcome.DELIVERED
    assert len(session.requests) == 1


async def test_wire_round_trip_and_no_responders() -> None:
    call = RemoteCall(RemoteKind.FLUSH, TENANT, uuid.uuid4(), uuid.uuid4(), "x", "[1]", True, 2.5)
    assert RemoteCall.decode(call.encode()) == call
    result = RpcResult(RpcOutcome.RESPONSE, 7, '{"v":"é"}', delivered=True)
    assert decode_result(encode_result(result)) == result
    bus = InProcessBus()
    with pytest.raises(NoResponders):
        await bus.request(device_subject(uuid.uuid4()), b"{}", 1.0)
    await bus.close()


async def test_shared_sweep_leaves_a_call_in_flight_to_the_node_sending_it(
    engine: AsyncEngine,
) -> None:
    """Past its expiration, a QUEUED call is EXPIRED at once; a SENT one (another node may be
    waiting for the device's reply) only after a grace, so that node records its outcome."""
    db = Database(engine)
    sessions = SessionRegistry(ListenerRegistry())
    persistent = PersistentRpc(db, sessions, ServerRpc(sessions), RecordingPublisher(), shared=True)
    device = uuid.uuid4()
    queued = await persistent.create(_request(device, timeout_ms=-1_000))
    sent = await persistent.create(_request(device, timeout_ms=-1_000))
    async with db.transaction() as conn:
        assert await RpcStore().set_status(conn, sent, RpcStatus.SENT, {RpcStatus.QUEUED})
    assert await persistent.expire_due() == 1
    statuses = [await persistent.get(record.id) for record in (queued, sent)]
    assert [found.status if found else None for found in statuses] == [
        RpcStatus.EXPIRED,
        RpcStatus.SENT,
    ]
