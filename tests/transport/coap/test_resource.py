"""CoAP device requests with aiocoap as the device's stack (spec §4, checklist 38, 40).

Every answer is checked for its code, and uploads for what reached storage.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
import pytest
from aiocoap import Message
from aiocoap.numbers.codes import Code

from industryos.telemetry.kv import AttributeScope, DataType, kv_entry
from tests.transport.coap.conftest import eventually, on_node
from tests.transport.mqtt.device.livenode import LiveNode


def _uri(port: int, token: str, path: str) -> str:
    return f"coap://127.0.0.1:{port}/api/v1/{token}/{path}"


async def _ask(client: Any, code: Code, uri: str, payload: bytes = b"") -> Message:
    response: Message = await client.request(Message(code=code, uri=uri, payload=payload)).response
    return response


async def test_post_telemetry_is_created_and_stored(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Checklist 38, 9-11: 2.01 once durable; types, ts and {} / [] as over MQTT."""
    dev, token = device
    uri = _uri(coap_port, token, "telemetry")
    answer = await _ask(client, Code.POST, uri, b'{"a":1,"s":"42","o":{"x":1},"n":null}')
    assert answer.code == Code.CREATED
    series = b'[{"ts":1700000000000,"values":{"b":1.5}},{"ts":1700000000001.9,"values":{"c":2}}]'
    assert (await _ask(client, Code.POST, uri, series)).code == Code.CREATED
    assert (await _ask(client, Code.POST, uri, b"{}")).code == Code.CREATED
    assert (await _ask(client, Code.POST, uri, b"[]")).code == Code.CREATED
    latest = await eventually(live, lambda: (lt := live.latest(dev)) and len(lt) == 5 and lt)
    assert latest["a"].value == 1 and latest["a"].data_type is DataType.LONG
    assert latest["s"].value == 42 and latest["o"].data_type is DataType.JSON
    assert (latest["b"].ts, latest["c"].ts) == (1700000000000, 1700000000001)
    assert "n" not in latest


async def test_activity_is_recorded(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """A CoAP request counts as device activity."""
    dev, token = device
    before = int(time.time() * 1000)
    assert (await _ask(client, Code.POST, _uri(coap_port, token, "telemetry"), b"{}")).code
    assert live.node.devices is not None
    state = live.node.devices.state.state(dev.id)
    assert state is not None and state.active and state.last_activity >= before


async def test_post_attributes(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Client attributes → 2.01 and CLIENT_SCOPE; an array → 4.00 and nothing stored."""
    dev, token = device
    uri = _uri(coap_port, token, "attributes")
    assert (await _ask(client, Code.POST, uri, b'[{"x":1}]')).code == Code.BAD_REQUEST
    assert (await _ask(client, Code.POST, uri, b'{"model":"X","n":3}')).code == Code.CREATED
    stored = await eventually(live, lambda: live.attributes(dev, AttributeScope.CLIENT_SCOPE))
    assert stored == {"model": "X", "n": 3}


@pytest.mark.parametrize(
    ("code", "path"),
    [
        (Code.POST, "telemetry"),
        (Code.POST, "attributes"),
        (Code.GET, "attributes"),
        (Code.POST, "rpc"),
        (Code.POST, "rpc/3"),
        (Code.POST, "claim"),
    ],
)
async def test_unknown_token_is_unauthorized(
    client: Any, coap_port: int, code: Code, path: str
) -> None:
    """Checklist 38: a bad token is 4.01 on every resource."""
    answer = await _ask(client, code, _uri(coap_port, "no-such-token", path), b"{}")
    assert answer.code == Code.UNAUTHORIZED


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("telemetry", b'{"a":'),
        ("telemetry", b"\xff\xfe"),
        ("telemetry", b""),
        ("attributes", b"not json"),
        ("rpc", b'{"params":1}'),
        ("rpc/1", b'"a string"'),
        ("rpc/x", b"{}"),
        ("claim", b"[1]"),
    ],
)
async def test_bad_payload_is_bad_request(
    live: LiveNode,
    client: Any,
    coap_port: int,
    device: tuple[Any, str],
    path: str,
    payload: bytes,
) -> None:
    """Malformed JSON, a wrong shape or a bad id → 4.00; nothing stored."""
    dev, token = device
    answer = await _ask(client, Code.POST, _uri(coap_port, token, path), payload)
    assert answer.code == Code.BAD_REQUEST
    assert (await _ask(client, Code.POST, _uri(coap_port, token, "telemetry"), b'{"ok":1}')).code
    latest = await eventually(live, lambda: live.latest(dev))
    assert set(latest) == {"ok"}


async def test_oversize_payload_is_4_13(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """A block-wise upload over ``max_payload_bytes`` → 4.13; one under it is reassembled."""
    dev, token = device
    limit = live.node.settings.max_payload_bytes
    uri = _uri(coap_port, token, "telemetry")
    big = b'{"k":"' + b"x" * limit + b'"}'
    assert (await _ask(client, Code.POST, uri, big)).code == Code.REQUEST_ENTITY_TOO_LARGE
    fits = b'{"k":"' + b"y" * 5000 + b'"}'
    assert (await _ask(client, Code.POST, uri, fits)).code == Code.CREATED
    latest = await eventually(live, lambda: live.latest(dev))
    assert latest["k"].value == "y" * 5000


async def test_unknown_paths_and_methods(
    client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Unknown resources 4.04, GET telemetry 4.00 (spec §4), other methods 4.05."""
    _, token = device
    base = f"coap://127.0.0.1:{coap_port}"
    assert (await _ask(client, Code.POST, _uri(coap_port, token, "nope"), b"{}")).code == (
        Code.NOT_FOUND
    )
    assert (await _ask(client, Code.GET, f"{base}/api/v2/{token}/telemetry")).code == (
        Code.NOT_FOUND
    )
    assert (await _ask(client, Code.GET, f"{base}/other")).code == Code.NOT_FOUND
    assert (await _ask(client, Code.POST, _uri(coap_port, token, "telemetry/5"), b"{}")).code == (
        Code.NOT_FOUND
    )
    assert (await _ask(client, Code.GET, _uri(coap_port, token, "telemetry"))).code == (
        Code.BAD_REQUEST
    )
    assert (await _ask(client, Code.PUT, _uri(coap_port, token, "telemetry"), b"{}")).code == (
        Code.METHOD_NOT_ALLOWED
    )


async def test_get_attributes(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Checklist 38: 4.04 with no attributes; then 2.05 JSON by the query's keys (§1.4)."""
    dev, token = device
    uri = _uri(coap_port, token, "attributes")
    assert (await _ask(client, Code.GET, uri)).code == Code.NOT_FOUND
    for scope, values in (
        (AttributeScope.CLIENT_SCOPE, {"c1": 1, "c2": "two"}),
        (AttributeScope.SHARED_SCOPE, {"a": 1, "b": {"j": True}}),
        (AttributeScope.SERVER_SCOPE, {"secret": 7}),
    ):
        entries = [kv_entry(k, v) for k, v in values.items()]
        await on_node(
            live, live.core.telemetry.save_attributes(dev.tenant_id, dev.id, scope, entries)
        )
    everything = await _ask(client, Code.GET, uri)
    assert everything.code == Code.CONTENT and everything.opt.content_format == 50
    assert orjson.loads(everything.payload) == {
        "client": {"c1": 1, "c2": "two"},
        "shared": {"a": 1, "b": {"j": True}},
    }
    some = await _ask(client, Code.GET, uri + "?clientKeys=c1,zz&sharedKeys=b")
    assert orjson.loads(some.payload) == {"client": {"c1": 1}, "shared": {"b": {"j": True}}}
    repeated = await _ask(client, Code.GET, uri + "?sharedKeys=a&sharedKeys=b")
    assert orjson.loads(repeated.payload) == {"shared": {"a": 1, "b": {"j": True}}}
    assert (await _ask(client, Code.GET, uri + "?sharedKeys=missing")).code == Code.NOT_FOUND


async def test_large_attribute_read_is_block_wise(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """An answer larger than one block is served with Block2 and reassembled by the client."""
    dev, token = device
    entries = [kv_entry(f"k{i}", "v" * 100) for i in range(40)]
    await on_node(
        live,
        live.core.telemetry.save_attributes(
            dev.tenant_id, dev.id, AttributeScope.SHARED_SCOPE, entries
        ),
    )
    answer = await _ask(client, Code.GET, _uri(coap_port, token, "attributes"))
    assert answer.code == Code.CONTENT
    assert len(orjson.loads(answer.payload)["shared"]) == 40


async def test_client_rpc(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """POST rpc → 2.05 with the rule engine's answer (given through the reply hook)."""
    _, token = device
    assert live.node.devices is not None
    replies = live.node.devices.client_rpc
    before = replies.pending
    call = asyncio.ensure_future(
        _ask(client, Code.POST, _uri(coap_port, token, "rpc"), b'{"method":"getTime","params":{}}')
    )
    await eventually(live, lambda: live.call(lambda: replies.pending) > before)
    session_id, request_id = live.call(lambda: list(replies._pending))[-1]
    assert live.call(lambda: replies.reply(session_id, request_id, '{"time":5}'))
    answer = await call
    assert answer.code == Code.CONTENT and orjson.loads(answer.payload) == {"time": 5}


async def test_claim(live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]) -> None:
    """POST claim → 2.01; the claim is stored as the server attribute claimingData."""
    dev, token = device
    body = b'{"secretKey":"k","durationMs":60000}'
    assert (await _ask(client, Code.POST, _uri(coap_port, token, "claim"), body)).code == (
        Code.CREATED
    )
    stored = await eventually(live, lambda: live.attributes(dev, AttributeScope.SERVER_SCOPE))
    assert stored["claimingData"]["secretKey"] == "k"
