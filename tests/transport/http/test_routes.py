"""The HTTP device API over a real node with a plain HTTP client (spec §3, checklist 11, 32-35).

Status codes, bodies and what reaches storage; the SDK's view is in ``test_tb_device_http``.
"""

from __future__ import annotations

import concurrent.futures
import time
from typing import Any, cast

import httpx
import orjson
import pytest
from fastapi import FastAPI

from industryos.devices.rpc import RpcOutcome
from industryos.telemetry.kv import AttributeScope, DataType, kv_entry
from industryos.transport.http import router
from tests.transport.mqtt.device.livenode import LiveNode

Device = Any


def _url(token: str, path: str) -> str:
    return f"/api/v1/{token}/{path}"


def _save(live: LiveNode, device: Device, scope: AttributeScope, **values: Any) -> None:
    entries = [kv_entry(key, value) for key, value in values.items()]
    live.run(live.core.telemetry.save_attributes(device.tenant_id, device.id, scope, entries))


def _wait_polling(live: LiveNode, device: Device) -> None:
    """Until the device's long poll is registered as a session (it then gets pushes)."""
    assert live.node.devices is not None
    sessions = live.node.devices.sessions
    live.wait_for(lambda: live.call(lambda: sessions.is_connected(device.id)))


def test_telemetry_is_200_empty_and_stored(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """Checklist 32, 9, 10, 11: 200 with an empty body; each ts stored; {} and [] accepted."""
    dev, token = device
    answer = http.post(_url(token, "telemetry"), content=b'{"a":1,"s":"42","n":null}')
    assert (answer.status_code, answer.content) == (200, b"")
    payload = b'[{"ts":1700000000000,"values":{"b":1.5}},{"ts":1700000000001.7,"values":{"c":2}}]'
    assert http.post(_url(token, "telemetry"), content=payload).status_code == 200
    assert http.post(_url(token, "telemetry"), content=b"{}").status_code == 200
    assert http.post(_url(token, "telemetry"), content=b"[]").status_code == 200
    latest = live.wait_for(lambda: (lt := live.latest(dev)) and len(lt) == 4 and lt)
    assert latest["a"].value == 1 and latest["a"].data_type is DataType.LONG
    assert latest["s"].value == 42 and "n" not in latest
    assert (latest["b"].ts, latest["b"].value) == (1700000000000, 1.5)
    assert (latest["c"].ts, latest["c"].value) == (1700000000001, 2)


def test_content_type_is_not_checked(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """A JSON body sent as text/plain or form data is still read as JSON (spec §3)."""
    dev, token = device
    headers = {"Content-Type": "text/plain"}
    answer = http.post(_url(token, "telemetry"), content=b'{"plain":3}', headers=headers)
    assert answer.status_code == 200
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert http.post(_url(token, "telemetry"), content=b'{"form":4}', headers=form).status_code
    latest = live.wait_for(lambda: (lt := live.latest(dev)) and len(lt) == 2 and lt)
    assert latest["plain"].value == 3 and latest["form"].value == 4


def test_activity_is_recorded(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """An HTTP request counts as device activity (device state, ``lastActivityTime``)."""
    dev, token = device
    before = int(time.time() * 1000)
    assert http.post(_url(token, "telemetry"), content=b"{}").status_code == 200
    assert live.node.devices is not None
    state = live.call(lambda: live.node.devices.state.state(dev.id))  # type: ignore[union-attr]
    assert state is not None and state.active and state.last_activity >= before


def test_attributes_upload(live: LiveNode, http: httpx.Client, device: tuple[Device, str]) -> None:
    """Checklist 32: flat object → CLIENT_SCOPE, 200 empty; an array is a 400 and stores nothing."""
    dev, token = device
    answer = http.post(_url(token, "attributes"), content=b'{"fw":"v1","n":"2"}')
    assert (answer.status_code, answer.content) == (200, b"")
    assert http.post(_url(token, "attributes"), content=b'[{"x":1}]').status_code == 400
    assert http.post(_url(token, "attributes"), content=b'{"last":true}').status_code == 200
    stored = live.wait_for(
        lambda: (a := live.attributes(dev, AttributeScope.CLIENT_SCOPE)) and "last" in a and a
    )
    assert stored == {"fw": "v1", "n": 2, "last": True}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "telemetry"),
        ("POST", "attributes"),
        ("GET", "attributes"),
        ("GET", "attributes/updates?timeout=100"),
        ("GET", "rpc?timeout=100"),
        ("POST", "rpc/1"),
        ("POST", "rpc"),
        ("POST", "claim"),
    ],
)
def test_unknown_token_is_401_with_empty_body(http: httpx.Client, method: str, path: str) -> None:
    """Checklist 32: every endpoint answers an unknown token with 401 and no body."""
    body = b'{"method":"m","params":{}}' if method == "POST" else None
    answer = http.request(method, _url("no-such-token", path), content=body)
    assert (answer.status_code, answer.content) == (401, b"")


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("telemetry", b'{"a":'),
        ("telemetry", b"not json"),
        ("telemetry", b"\xff\xfe\x00"),
        ("telemetry", b""),
        ("telemetry", b"42"),
        ("attributes", b'{"a":1'),
        ("rpc", b'{"params":{}}'),
        ("rpc", b"[1]"),
        ("claim", b'{"secretKey":'),
        ("claim", b'{"secretKey":5}'),
    ],
)
def test_bad_payload_is_400_and_stores_nothing(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str], path: str, payload: bytes
) -> None:
    """Malformed JSON or a wrong shape is a 400 with the parser's message; nothing stored."""
    dev, token = device
    answer = http.post(_url(token, path), content=payload)
    assert answer.status_code == 400
    assert answer.text
    assert http.post(_url(token, "telemetry"), content=b'{"after":1}').status_code == 200
    assert http.post(_url(token, "attributes"), content=b'{"after":1}').status_code == 200
    latest = live.wait_for(lambda: live.latest(dev))
    assert set(latest) == {"after"}
    stored = live.wait_for(lambda: live.attributes(dev, AttributeScope.CLIENT_SCOPE))
    assert stored == {"after": 1}


def test_oversize_payload_is_413(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """A body over ``max_payload_bytes`` is refused, declared or streamed; nothing stored."""
    dev, token = device
    limit = live.node.settings.max_payload_bytes
    big = b'{"k":"' + b"x" * limit + b'"}'
    assert http.post(_url(token, "telemetry"), content=big).status_code == 413

    def chunks() -> Any:
        for start in range(0, len(big), 8192):
            yield big[start : start + 8192]

    assert http.post(_url(token, "attributes"), content=chunks()).status_code == 413
    fits = b'{"k":"' + b"x" * (limit - 16) + b'"}'
    assert http.post(_url(token, "telemetry"), content=fits).status_code == 200
    assert http.post(_url(token, "attributes"), content=b'{"after":1}').status_code == 200
    latest = live.wait_for(lambda: live.latest(dev))
    assert len(cast(str, latest["k"].value)) == limit - 16
    stored = live.wait_for(lambda: live.attributes(dev, AttributeScope.CLIENT_SCOPE))
    assert stored == {"after": 1}


def test_unknown_path_is_404(http: httpx.Client, device: tuple[Device, str]) -> None:
    """Unknown features and methods are not device endpoints."""
    _, token = device
    assert http.post(_url(token, "telemetree"), content=b"{}").status_code == 404
    assert http.get(_url(token, "telemetry")).status_code == 405
    assert http.post(f"/api/v1/{token}", content=b"{}").status_code == 404


def test_attribute_request_key_selection(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """Checklist 33 and §1.4: repeated and comma keys, all when none, snake case ignored."""
    dev, token = device
    assert http.get(_url(token, "attributes")).json() == {}
    _save(live, dev, AttributeScope.CLIENT_SCOPE, c1=1, c2="two")
    _save(live, dev, AttributeScope.SHARED_SCOPE, a=1, b={"j": True}, c=2.5)
    _save(live, dev, AttributeScope.SERVER_SCOPE, secret=7)
    repeated = http.get(_url(token, "attributes?sharedKeys=a&sharedKeys=b"))
    assert repeated.status_code == 200
    assert repeated.headers["content-type"] == "application/json"
    assert repeated.json() == {"shared": {"a": 1, "b": {"j": True}}}
    both = http.get(_url(token, "attributes?clientKeys=c1,nope&sharedKeys=c"))
    assert both.json() == {"client": {"c1": 1}, "shared": {"c": 2.5}}
    everything = {"client": {"c1": 1, "c2": "two"}, "shared": {"a": 1, "b": {"j": True}, "c": 2.5}}
    assert http.get(_url(token, "attributes")).json() == everything
    snake = http.get(_url(token, "attributes?client_keys=c1&shared_keys=a"))
    assert snake.json() == everything


def test_attribute_long_poll_times_out_with_408(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """Checklist 34: no change → 408 with an empty body; the session is gone afterwards."""
    dev, token = device
    answer = http.get(_url(token, "attributes/updates?timeout=300"))
    assert (answer.status_code, answer.content) == (408, b"")
    assert live.node.devices is not None
    assert not live.call(lambda: live.node.devices.sessions.is_connected(dev.id))  # type: ignore[union-attr]


def test_attribute_long_poll_gets_the_update(
    live: LiveNode, base_url: str, device: tuple[Device, str]
) -> None:
    """Checklist 34, 17: a shared change answers 200 {"k": v}; a delete {"deleted": [...]}."""
    dev, token = device

    def poll() -> httpx.Response:
        return httpx.get(base_url + _url(token, "attributes/updates?timeout=20000"), timeout=30)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(poll)
        _wait_polling(live, dev)
        _save(live, dev, AttributeScope.CLIENT_SCOPE, ignored=1)
        _save(live, dev, AttributeScope.SERVER_SCOPE, ignored=2)
        _save(live, dev, AttributeScope.SHARED_SCOPE, target=22)
        answer = waiting.result(30)
        assert answer.status_code == 200
        assert answer.json() == {"target": 22}

        waiting = pool.submit(poll)
        _wait_polling(live, dev)
        live.run(
            live.core.telemetry.delete_attributes(
                dev.tenant_id, dev.id, AttributeScope.SHARED_SCOPE, ["target"]
            )
        )
        assert waiting.result(30).json() == {"deleted": ["target"]}


def test_long_poll_bad_timeout_is_400(http: httpx.Client, device: tuple[Device, str]) -> None:
    """A timeout that is not a number of milliseconds is the device's error."""
    _, token = device
    assert http.get(_url(token, "attributes/updates?timeout=soon")).status_code == 400
    assert http.get(_url(token, "rpc?timeout=-5")).status_code == 400


def test_server_rpc_over_long_poll(
    live: LiveNode, http: httpx.Client, base_url: str, device: tuple[Device, str]
) -> None:
    """Checklist 35: the poll returns {"id","method","params"}; POST /rpc/{id} completes it."""
    dev, token = device
    assert live.node.devices is not None
    rpc = live.node.devices.server_rpc
    assert live.run(rpc.call(dev.id, "x", timeout_s=1)).outcome is RpcOutcome.NO_ACTIVE_CONNECTION
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(httpx.get, base_url + _url(token, "rpc?timeout=20000"), timeout=30)
        _wait_polling(live, dev)
        call = concurrent.futures.Future[Any]()
        live.loop.call_soon_threadsafe(
            lambda: live.loop.create_task(
                rpc.call(dev.id, "setGpio", '{"pin":4,"on":true}', timeout_s=20)
            ).add_done_callback(lambda t: call.set_result(t.result()))
        )
        polled = waiting.result(30)
    assert polled.status_code == 200
    request = polled.json()
    assert request == {"id": request["id"], "method": "setGpio", "params": {"pin": 4, "on": True}}
    assert isinstance(request["id"], int)
    reply = http.post(_url(token, f"rpc/{request['id']}"), content=b'{"ok":true}')
    assert (reply.status_code, reply.content) == (200, b"")
    result = call.result(10)
    assert (result.outcome, result.response) == (RpcOutcome.RESPONSE, '{"ok":true}')
    assert http.post(_url(token, "rpc/9999"), content=b"{}").status_code == 200
    assert http.post(_url(token, "rpc/abc"), content=b"{}").status_code == 400


def test_rpc_long_poll_times_out_with_408(http: httpx.Client, device: tuple[Device, str]) -> None:
    """No RPC within the timeout → 408 with an empty body."""
    _, token = device
    answer = http.get(_url(token, "rpc?timeout=200"))
    assert (answer.status_code, answer.content) == (408, b"")


def test_client_rpc_gets_the_rule_engine_answer(
    live: LiveNode, base_url: str, device: tuple[Device, str]
) -> None:
    """POST /rpc waits for the answer given through the rule engine's reply hook."""
    _, token = device
    assert live.node.devices is not None
    replies = live.node.devices.client_rpc
    before = live.call(lambda: replies.pending)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(
            httpx.post,
            base_url + _url(token, "rpc"),
            content=b'{"method":"getTime","params":{}}',
            timeout=30,
        )
        live.wait_for(lambda: live.call(lambda: replies.pending) > before)
        pending = live.call(lambda: list(replies._pending))  # the rule engine's view
        session_id, request_id = pending[-1]
        assert live.call(lambda: replies.reply(session_id, request_id, '{"time":123}'))
        answer = waiting.result(30)
    assert (answer.status_code, answer.json()) == (200, {"time": 123})


def test_client_rpc_wait_ends_with_408(live: LiveNode, device: tuple[Device, str]) -> None:
    """When the HTTP wait ends before any answer, the device gets 408 and the call is dropped."""
    from industryos.transport.http.errors import RequestTimeout

    dev, token = device
    assert live.node.devices is not None
    transports = live.node.devices
    identity = live.run(transports.auth.by_access_token(token))
    assert identity is not None and identity.device_id == dev.id
    before = live.call(lambda: transports.client_rpc.pending)
    with pytest.raises(RequestTimeout):
        live.run(transports.http.client_rpc(identity, b'{"method":"m"}', 0.2))
    assert live.call(lambda: transports.client_rpc.pending) == before


def test_claim_is_recorded(live: LiveNode, http: httpx.Client, device: tuple[Device, str]) -> None:
    """POST /claim → 200; the claim is stored as claimingData (server scope)."""
    dev, token = device
    answer = http.post(_url(token, "claim"), content=b'{"secretKey":"s3","durationMs":60000}')
    assert (answer.status_code, answer.content) == (200, b"")
    claim = live.attributes(dev, AttributeScope.SERVER_SCOPE)["claimingData"]
    assert claim["secretKey"] == "s3" and claim["expirationTime"] > time.time() * 1000
    assert http.post(_url(token, "claim"), content=b"").status_code == 200


async def test_no_device_api_on_the_app_is_503() -> None:
    """Before the node sets the device API on the app (and after it stops) devices get 503."""
    app = FastAPI()
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        answer = await client.post("/api/v1/token/telemetry", content=b"{}")
    assert answer.status_code == 503


def test_unicode_bodies_roundtrip(
    live: LiveNode, http: httpx.Client, device: tuple[Device, str]
) -> None:
    """Unicode keys and values survive upload and read-back."""
    _, token = device
    body = orjson.dumps({"température": "21 °C"})
    assert http.post(_url(token, "attributes"), content=body).status_code == 200
    answer = live.wait_for(
        lambda: http.get(_url(token, "attributes?clientKeys=température")).json()
    )
    assert answer == {"client": {"température": "21 °C"}}
