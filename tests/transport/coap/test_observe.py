"""CoAP Observe on attributes and rpc as device sessions (spec §4, checklist 39, 40)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiocoap import Message
from aiocoap.numbers.codes import Code

from industryos.devices.rpc import RpcOutcome
from industryos.telemetry.kv import AttributeScope, kv_entry
from tests.transport.coap.conftest import eventually, on_node
from tests.transport.coap.rawclient import RawCoapClient
from tests.transport.mqtt.device.livenode import LiveNode


def _uri(port: int, token: str, path: str) -> str:
    return f"coap://127.0.0.1:{port}/api/v1/{token}/{path}"


async def _save(live: LiveNode, dev: Any, scope: AttributeScope, **values: Any) -> None:
    entries = [kv_entry(key, value) for key, value in values.items()]
    await on_node(live, live.core.telemetry.save_attributes(dev.tenant_id, dev.id, scope, entries))


def _sessions(live: LiveNode, dev: Any) -> int:
    assert live.node.devices is not None
    sessions = live.node.devices.sessions
    return len(live.call(lambda: sessions.sessions_of(dev.id)))


async def test_observe_attributes(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Checklist 39, 17: first the current shared attributes (flat), then each change;
    a delete gives {"deleted": [...]}; client and server changes notify nothing."""
    dev, token = device
    await _save(live, dev, AttributeScope.SHARED_SCOPE, interval=10)
    await _save(live, dev, AttributeScope.CLIENT_SCOPE, mine=1)
    request = client.request(
        Message(code=Code.GET, uri=_uri(coap_port, token, "attributes"), observe=0)
    )
    first = await request.response
    assert first.code == Code.CONTENT and first.opt.observe is not None
    assert orjson.loads(first.payload) == {"interval": 10}
    notifications = aiter(request.observation)
    await _save(live, dev, AttributeScope.CLIENT_SCOPE, mine=2)
    await _save(live, dev, AttributeScope.SERVER_SCOPE, hidden=3)
    await _save(live, dev, AttributeScope.SHARED_SCOPE, interval=20)
    changed = await asyncio.wait_for(anext(notifications), 10)
    assert orjson.loads(changed.payload) == {"interval": 20}
    await on_node(
        live,
        live.core.telemetry.delete_attributes(
            dev.tenant_id, dev.id, AttributeScope.SHARED_SCOPE, ["interval"]
        ),
    )
    deleted = await asyncio.wait_for(anext(notifications), 10)
    assert orjson.loads(deleted.payload) == {"deleted": ["interval"]}
    request.observation.cancel()


async def test_observe_rpc_and_reply(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Checklist 40: each server RPC arrives as {"id","method","params"}; POST rpc/{id} → 2.01
    and completes the call."""
    dev, token = device
    assert live.node.devices is not None
    rpc = live.node.devices.server_rpc
    request = client.request(Message(code=Code.GET, uri=_uri(coap_port, token, "rpc"), observe=0))
    await eventually(live, lambda: _sessions(live, dev) == 1)

    async def answer(expected_method: str, reply: bytes) -> None:
        notification = (
            await request.response
            if expected_method == "first"
            else await asyncio.wait_for(anext(aiter(request.observation)), 10)
        )
        body = orjson.loads(notification.payload)
        assert set(body) == {"id", "method", "params"} and isinstance(body["id"], int)
        uri = _uri(coap_port, token, f"rpc/{body['id']}")
        done = await client.request(Message(code=Code.POST, uri=uri, payload=reply)).response
        assert done.code == Code.CREATED

    call = asyncio.ensure_future(on_node(live, rpc.call(dev.id, "first", '{"a":1}', timeout_s=10)))
    await answer("first", b'{"ok":1}')
    result = await call
    assert (result.outcome, result.response) == (RpcOutcome.RESPONSE, '{"ok":1}')
    call = asyncio.ensure_future(on_node(live, rpc.call(dev.id, "second", "[1,2]", timeout_s=10)))
    await answer("second", b'{"ok":2}')
    result = await call
    assert (result.outcome, result.response) == (RpcOutcome.RESPONSE, '{"ok":2}')
    request.observation.cancel()


async def test_deregister_with_observe_1(
    live: LiveNode, coap_port: int, device: tuple[Any, str]
) -> None:
    """Checklist 39: GET with Observe=1 on the same token ends the observation (session gone)."""
    dev, token = device
    raw = await RawCoapClient.connect(coap_port)
    try:
        path = f"api/v1/{token}/attributes"
        raw.request(Code.GET, path, b"T1", observe=0)
        first = await raw.receive()
        assert first.code == Code.CONTENT and first.opt.observe == 0 and first.token == b"T1"
        assert _sessions(live, dev) == 1
        raw.request(Code.GET, path, b"T1", observe=1)
        ended = await raw.receive()
        assert (ended.token, ended.code, ended.opt.observe) == (b"T1", Code.VALID, None)
        await eventually(live, lambda: _sessions(live, dev) == 0)
    finally:
        raw.close()


async def test_new_token_replaces_the_observation(
    live: LiveNode, coap_port: int, device: tuple[Any, str]
) -> None:
    """A second registration from the same peer ends the first with 2.02 Deleted; only the
    new one gets notifications."""
    dev, token = device
    raw = await RawCoapClient.connect(coap_port)
    try:
        path = f"api/v1/{token}/attributes"
        raw.request(Code.GET, path, b"A", observe=0)
        assert (await raw.receive()).token == b"A"
        raw.request(Code.GET, path, b"B", observe=0)
        received = {
            message.token: message for message in [await raw.receive(), await raw.receive()]
        }
        assert received[b"A"].code == Code.DELETED and received[b"A"].opt.observe is None
        assert received[b"B"].code == Code.CONTENT and received[b"B"].opt.observe == 0
        await eventually(live, lambda: _sessions(live, dev) == 1)
        await _save(live, dev, AttributeScope.SHARED_SCOPE, x=1)
        notification = await raw.receive()
        assert notification.token == b"B" and orjson.loads(notification.payload) == {"x": 1}
    finally:
        raw.close()


async def test_reset_by_the_observer_drops_the_session(
    live: LiveNode, coap_port: int, device: tuple[Any, str]
) -> None:
    """An observer that answers a notification with RST is gone: its session is removed."""
    dev, token = device
    raw = await RawCoapClient.connect(coap_port)
    try:
        raw.request(Code.GET, f"api/v1/{token}/attributes", b"R", observe=0)
        assert (await raw.receive()).code == Code.CONTENT
        await _save(live, dev, AttributeScope.SHARED_SCOPE, y=1)
        notification = await raw.receive_raw()
        assert notification.opt.observe is not None
        raw.reset(notification.mid)
        await eventually(live, lambda: _sessions(live, dev) == 0)
    finally:
        raw.close()


async def test_observe_with_unknown_token(client: Any, coap_port: int) -> None:
    """An observation needs a valid token too: 4.01."""
    request = client.request(
        Message(code=Code.GET, uri=_uri(coap_port, "no-such-token", "rpc"), observe=0)
    )
    assert (await request.response).code == Code.UNAUTHORIZED
