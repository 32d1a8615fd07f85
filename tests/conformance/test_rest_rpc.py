"""REST RPC end to end: tb-rest style HTTP calls reach a real ``tb-mqtt-client`` device
through the rule engine (RPC_CALL_FROM_SERVER_TO_DEVICE → "rpc call request" node), and
the device's answer is the REST response (spec platform-api §3.7, §9 items 19-20).

One node per engine for the module; the persistent call is sent while the device is
offline and delivered when it connects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tb_device_mqtt import TBDeviceMqttClient

from industryos.entities.ids import now_ms
from tests.conftest import DatabaseFactory
from tests.support.tb_client import leave
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveNode]:
    node = start_live_node(
        tmp_path_factory.mktemp("node"),
        database_factory.new_url(request.param),
        rpc_min_timeout_ms=500,
    )
    yield node
    node.stop()


@pytest.fixture
def rest(live: LiveNode) -> Iterator[httpx.Client]:
    base = f"http://127.0.0.1:{live.node.http_port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.post(
            "/api/auth/login", json={"username": "admin@mqtt.test", "password": "password"}
        )
        assert login.status_code == 200, login.text
        client.headers["X-Authorization"] = f"Bearer {login.json()['token']}"
        yield client


def _connect(live: LiveNode, token: str, handler: Any, holder: dict[str, Any]) -> Any:
    """Connect the SDK; ``holder["client"]`` is set before any RPC can reach ``handler``."""
    client = holder["client"] = TBDeviceMqttClient("127.0.0.1", live.mqtt_port, username=token)
    client.set_server_side_rpc_request_handler(handler)
    client.connect()
    deadline = time.monotonic() + 10
    while not (client.is_connected() and client.rate_limits_received):
        assert time.monotonic() < deadline, "SDK did not connect"
        time.sleep(0.02)
    return client


def _wait_rpc_subscribed(live: LiveNode, device_id: uuid.UUID) -> None:
    sessions = live.node.devices.sessions  # type: ignore[union-attr]
    live.wait_for(
        lambda: live.call(lambda: any(s.wants_rpc for s in sessions.sessions_of(device_id)))
    )


def test_two_way_rpc_from_rest_is_answered_by_the_sdk_device(
    live: LiveNode, rest: httpx.Client
) -> None:
    token = uuid.uuid4().hex
    device = live.create_device(f"rest-rpc-{token[:8]}", token=token)
    assert device.id is not None
    seen: list[tuple[Any, Any]] = []
    holder: dict[str, TBDeviceMqttClient] = {}

    def handler(request_id: Any, body: dict[str, Any]) -> None:
        seen.append((request_id, body))
        if body["method"] == "getTemp":
            holder["client"].send_rpc_reply(request_id, {"temp": 21.5, "unit": body["params"]})

    client = _connect(live, token, handler, holder)
    try:
        _wait_rpc_subscribed(live, device.id)
        answer = rest.post(
            f"/api/rpc/twoway/{device.id}",
            json={"method": "getTemp", "params": "C", "timeout": 5000},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"temp": 21.5, "unit": "C"}
        legacy = rest.post(
            f"/api/plugins/rpc/twoway/{device.id}", json={"method": "getTemp", "params": "F"}
        )
        assert (legacy.status_code, legacy.json()) == (200, {"temp": 21.5, "unit": "F"})
        oneway = rest.post(f"/api/rpc/oneway/{device.id}", json={"method": "blink"})
        assert (oneway.status_code, oneway.content) == (200, b"")
        assert [body["method"] for _, body in seen] == ["getTemp", "getTemp", "blink"]
    finally:
        leave(client)


def test_persistent_rpc_sent_offline_is_delivered_on_connect(
    live: LiveNode, rest: httpx.Client
) -> None:
    token = uuid.uuid4().hex
    device = live.create_device(f"rest-prpc-{token[:8]}", token=token)
    sent = rest.post(
        f"/api/rpc/twoway/{device.id}",
        json={
            "method": "setGpio",
            "params": {"pin": 4, "value": 1},
            "persistent": True,
            "expirationTime": now_ms() + 60_000,
            "retries": 2,
            "additionalInfo": {"note": "offline"},
        },
    )
    assert sent.status_code == 200, sent.text
    rpc_id = sent.json()["rpcId"]
    queued = rest.get(f"/api/rpc/persistent/{rpc_id}").json()
    assert queued["status"] == "QUEUED"
    assert queued["additionalInfo"] == {"note": "offline"}
    assert queued["deviceId"] == {"entityType": "DEVICE", "id": str(device.id)}
    holder: dict[str, TBDeviceMqttClient] = {}
    seen: list[dict[str, Any]] = []

    def handler(request_id: Any, body: dict[str, Any]) -> None:
        seen.append(body)
        holder["client"].send_rpc_reply(request_id, {"ok": True, "pin": body["params"]["pin"]})

    client = _connect(live, token, handler, holder)
    try:

        def done() -> dict[str, Any] | None:
            found: dict[str, Any] = rest.get(f"/api/rpc/persistent/{rpc_id}").json()
            return found if found["status"] == "SUCCESSFUL" else None

        final = live.wait_for(done)
        assert final["response"] == {"ok": True, "pin": 4}
        assert seen == [{"method": "setGpio", "params": {"pin": 4, "value": 1}}]
        page = rest.get(
            f"/api/rpc/persistent/device/{device.id}",
            params={"pageSize": 10, "page": 0, "rpcStatus": "SUCCESSFUL"},
        ).json()
        assert [item["id"]["id"] for item in page["data"]] == [rpc_id]
    finally:
        leave(client)
