"""ThingsBoard's HTTP device SDK (``tb_device_http.TBHTTPDevice``) unchanged against a node.

The SDK blocks and runs its long polls in its own threads; a subscription thread only
ends after its current poll returns, so each test answers the last poll before it ends.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from tb_device_http import TBHTTPDevice

from industryos.devices.rpc import RpcOutcome
from industryos.telemetry.kv import AttributeScope, kv_entry
from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveNode]:
    """A started node (both engines) with a tenant admin; stopped after the module."""
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url(request.param))
    yield node
    node.stop()


@pytest.fixture
def sdk(live: LiveNode) -> tuple[Any, TBHTTPDevice]:
    """A device and the SDK connected as it (``connect()`` posts ``{}`` to telemetry)."""
    token = f"sdk-{uuid.uuid4().hex[:12]}"
    device = live.create_device(f"dev-{token}", token=token)
    client = TBHTTPDevice(f"http://127.0.0.1:{live.node.http_port}", token)
    assert client.connect()
    return device, client


def _polling(live: LiveNode, device: Any) -> bool:
    assert live.node.devices is not None
    sessions = live.node.devices.sessions
    return bool(live.call(lambda: sessions.is_connected(device.id)))


def _end_subscription(
    live: LiveNode, device: Any, client: TBHTTPDevice, endpoint: str, answer: Callable[[], None]
) -> None:
    """Unsubscribe, answering the poll still waiting so the SDK's thread can end."""
    client.unsubscribe(endpoint)
    thread: threading.Thread = client._TBHTTPDevice__worker[endpoint]["thread"]
    deadline = time.monotonic() + 10
    while thread.is_alive() and time.monotonic() < deadline:
        if _polling(live, device):
            answer()
        thread.join(0.1)
    assert not thread.is_alive()


def test_wrong_token_does_not_connect(live: LiveNode) -> None:
    """Checklist 32: a bad token is 401, which the SDK reports as not connected."""
    client = TBHTTPDevice(f"http://127.0.0.1:{live.node.http_port}", "no-such-token")
    assert not client.test_connection()


def test_send_telemetry_reaches_storage(live: LiveNode, sdk: tuple[Any, TBHTTPDevice]) -> None:
    """``send_telemetry`` posts ``{"ts","values"}``; direct and queued both end up stored."""
    device, client = sdk
    ts = datetime(2024, 1, 2, 3, 4, 5)
    client.send_telemetry({"temperature": 21.5}, timestamp=ts, queued=False)
    client.send_telemetry({"humidity": 40})
    latest = live.wait_for(lambda: (lt := live.latest(device)) and len(lt) == 2 and lt)
    assert latest["temperature"].value == 21.5
    assert latest["temperature"].ts == 1704164645000
    assert latest["humidity"].value == 40


def test_send_and_request_attributes(live: LiveNode, sdk: tuple[Any, TBHTTPDevice]) -> None:
    """``send_attributes`` stores client attributes; ``request_attributes`` (snake-case keys,
    ignored as by ThingsBoard) gets all client and shared attributes."""
    device, client = sdk
    client.send_attributes({"model": "X1", "fwVersion": "v2"})
    live.wait_for(lambda: len(live.attributes(device, AttributeScope.CLIENT_SCOPE)) == 2)
    live.run(
        live.core.telemetry.save_attributes(
            device.tenant_id, device.id, AttributeScope.SHARED_SCOPE, [kv_entry("interval", 5)]
        )
    )
    answer = client.request_attributes(client_keys=["model"], shared_keys=["interval"])
    assert answer == {"client": {"model": "X1", "fwVersion": "v2"}, "shared": {"interval": 5}}


def test_subscribe_to_shared_attributes(live: LiveNode, sdk: tuple[Any, TBHTTPDevice]) -> None:
    """``subscribe('attributes')`` long-polls and hands each shared change to the callback."""
    device, client = sdk
    received: list[dict[str, Any]] = []
    got = threading.Event()

    def on_update(body: dict[str, Any]) -> None:
        received.append(body)
        got.set()

    def change(key: str, value: Any) -> None:
        live.run(
            live.core.telemetry.save_attributes(
                device.tenant_id, device.id, AttributeScope.SHARED_SCOPE, [kv_entry(key, value)]
            )
        )

    client.subscribe("attributes", on_update)
    live.wait_for(lambda: _polling(live, device))
    change("target", 22)
    assert got.wait(10)
    assert received[0] == {"target": 22}
    _end_subscription(live, device, client, "attributes", lambda: change("bye", 1))


def test_server_rpc_with_reply(live: LiveNode, sdk: tuple[Any, TBHTTPDevice]) -> None:
    """``subscribe('rpc')`` gets ``{"id","method","params"}``; ``send_rpc(..., rpc_id=id)``
    answers it, and the server call completes with that reply."""
    device, client = sdk
    assert live.node.devices is not None
    rpc = live.node.devices.server_rpc

    def on_rpc(request: dict[str, Any]) -> None:
        if request["method"] == "echo":
            client.send_rpc("echoed", request["params"], rpc_id=request["id"])

    client.subscribe("rpc", on_rpc)
    live.wait_for(lambda: _polling(live, device))
    result = live.run(rpc.call(device.id, "echo", '{"n":7}', timeout_s=10))
    assert result.outcome is RpcOutcome.RESPONSE
    assert result.response is not None
    assert result.response.replace(" ", "") == '{"method":"echoed","params":{"n":7}}'

    def oneway() -> None:
        live.run(rpc.call(device.id, "stop", oneway=True, timeout_s=2))

    _end_subscription(live, device, client, "rpc", oneway)


def test_client_side_rpc(live: LiveNode, sdk: tuple[Any, TBHTTPDevice]) -> None:
    """``send_rpc(name, params)`` waits for the rule engine's answer and returns it."""
    _, client = sdk
    assert live.node.devices is not None
    replies = live.node.devices.client_rpc
    before = live.call(lambda: replies.pending)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        call = pool.submit(client.send_rpc, "getCurrentTime", {"tz": "UTC"})
        live.wait_for(lambda: live.call(lambda: replies.pending) > before)
        session_id, request_id = live.call(lambda: list(replies._pending))[-1]
        assert live.call(lambda: replies.reply(session_id, request_id, '{"time":1}'))
        assert call.result(10) == {"time": 1}
