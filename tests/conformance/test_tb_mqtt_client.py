"""The real ThingsBoard device SDK (``tb-mqtt-client``, MQTT 5) against a real node.

Checklist items of spec device-api §10 exercised here through the SDK: 1, 8, 14, 15, 17,
18, 20, 21, 22. Byte-exact reason-code cases are in tests/transport/mqtt/device/.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from tb_device_mqtt import TBDeviceMqttClient

from industryos.devices.rpc import RpcOutcome
from industryos.msg import MsgType
from industryos.queue import Queue
from industryos.telemetry.kv import AttributeScope, kv_entry
from tests.conftest import DatabaseFactory
from tests.support.tb_client import leave
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node


@pytest.fixture(scope="module")
def live(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveNode]:
    """One node on SQLite for the module (storage engines are covered by the adapter tests)."""
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url("sqlite"))
    yield node
    node.stop()


class Recorder:
    """Thread-safe collector for SDK callbacks."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, *args: Any) -> None:
        with self._cond:
            self.items.append(args)
            self._cond.notify_all()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.items) >= count, timeout):
                raise AssertionError(f"only {len(self.items)} callbacks within {timeout} s")
            return list(self.items)


@pytest.fixture
def device_client(live: LiveNode) -> Iterator[tuple[Any, TBDeviceMqttClient]]:
    token = f"sdk-{uuid.uuid4().hex[:12]}"
    device = live.create_device(f"sdk-{token}", token=token)
    client = TBDeviceMqttClient("127.0.0.1", live.mqtt_port, username=token)
    client.connect()
    deadline = time.monotonic() + 10
    while not (client.is_connected() and client.rate_limits_received):
        assert time.monotonic() < deadline, "SDK did not connect and get its session limits"
        time.sleep(0.02)
    yield device, client
    leave(client)


def _wait_rpc_subscribed(live: LiveNode, device: Any) -> None:
    """The SDK subscribes right after CONNACK; wait until the session took the filter."""
    live.wait_for(
        lambda: live.call(
            lambda: any(s.wants_rpc for s in live.node.devices.sessions.sessions_of(device.id))  # type: ignore[union-attr]
        )
    )


def test_connect_gets_session_limits_and_sends_telemetry(
    live: LiveNode, device_client: tuple[Any, TBDeviceMqttClient]
) -> None:
    """1, 21, 8: CONNACK 0, limits applied by the SDK, telemetry stored."""
    device, client = device_client
    assert client.max_payload_size == int(65536 * 0.8)
    assert client.send_telemetry({"temperature": 21.5}).get() == 0
    assert client.send_telemetry({"ts": 1_750_000_000_000, "values": {"h": 40}}).get() == 0
    latest = live.wait_for(lambda: (lt := live.latest(device)) and len(lt) == 2 and lt)
    assert latest["temperature"].value == 21.5
    assert latest["h"].ts == 1_750_000_000_000


def test_attributes_and_attribute_request(
    live: LiveNode, device_client: tuple[Any, TBDeviceMqttClient]
) -> None:
    """14, 15: client attributes stored; request answered with client and shared parts."""
    device, client = device_client
    assert client.send_attributes({"model": "X1", "rev": 3}).get() == 0
    live.wait_for(lambda: live.attributes(device, AttributeScope.CLIENT_SCOPE))
    live.run(
        live.core.telemetry.save_attributes(
            device.tenant_id, device.id, AttributeScope.SHARED_SCOPE, [kv_entry("target", 22)]
        )
    )
    got = Recorder()
    client.request_attributes(client_keys=["model"], shared_keys=["target"], callback=got)
    content, error = got.wait()[0]
    assert error is None
    assert content == {"client": {"model": "X1"}, "shared": {"target": 22}}


def test_shared_attribute_updates_and_deletes_reach_the_sdk(
    live: LiveNode, device_client: tuple[Any, TBDeviceMqttClient]
) -> None:
    """17: shared changes pushed, deletes as {"deleted": [...]}, other scopes silent."""
    device, client = device_client
    got = Recorder()
    client.subscribe_to_all_attributes(got)
    _wait_rpc_subscribed(live, device)
    telemetry = live.core.telemetry
    tenant, dev_id = device.tenant_id, device.id
    live.run(
        telemetry.save_attributes(tenant, dev_id, AttributeScope.SERVER_SCOPE, [kv_entry("s", 1)])
    )
    live.run(
        telemetry.save_attributes(tenant, dev_id, AttributeScope.SHARED_SCOPE, [kv_entry("k", 5)])
    )
    live.run(telemetry.delete_attributes(tenant, dev_id, AttributeScope.SHARED_SCOPE, ["k"]))
    items = got.wait(2)
    assert [content for content, _ in items] == [{"k": 5}, {"deleted": ["k"]}]


def test_server_side_rpc_two_way_and_one_way(
    live: LiveNode, device_client: tuple[Any, TBDeviceMqttClient]
) -> None:
    """18, 19: the request reaches the SDK handler; its reply completes the call."""
    device, client = device_client
    requests = Recorder()

    def handler(request_id: str, body: dict[str, Any]) -> None:
        requests(request_id, body)
        if body["method"] == "getTemp":
            client.send_rpc_reply(request_id, {"temp": 20})

    client.set_server_side_rpc_request_handler(handler)
    _wait_rpc_subscribed(live, device)
    rpc = live.node.devices.server_rpc  # type: ignore[union-attr]
    result = live.run(rpc.call(device.id, "getTemp", '{"unit":"C"}', timeout_s=5))
    assert result.outcome is RpcOutcome.RESPONSE
    assert orjson.loads(result.response) == {"temp": 20}
    oneway = live.run(rpc.call(device.id, "blink", "{}", oneway=True, timeout_s=5))
    assert oneway.outcome is RpcOutcome.DELIVERED
    bodies = [body for _, body in requests.wait(2)]
    assert bodies == [
        {"method": "getTemp", "params": {"unit": "C"}},
        {"method": "blink", "params": {}},
    ]
    other = live.create_device(f"offline-{uuid.uuid4().hex[:6]}", token=uuid.uuid4().hex)
    assert other.id is not None
    offline = live.run(rpc.call(other.id, "x", "{}", timeout_s=1))
    assert offline.outcome is RpcOutcome.NO_ACTIVE_CONNECTION


def test_client_side_rpc_answered_through_the_hook(
    live: LiveNode, device_client: tuple[Any, TBDeviceMqttClient]
) -> None:
    """20: the request enters the queue; the reply hook's answer reaches the SDK callback."""
    device, client = device_client
    queue: Queue | None = live.node._queue
    assert queue is not None
    consumer = live.run(queue.subscribe("Main", f"c{uuid.uuid4().hex[:8]}"))
    answers = Recorder()
    client.send_rpc_call("whoAmI", {"x": 1}, answers)
    msg = None
    while msg is None:
        for batch in live.run(consumer.fetch(max_wait=5.0)):
            for record in batch.records:
                if (
                    record.msg.type == MsgType.TO_SERVER_RPC_REQUEST
                    and record.msg.originator.id == device.id
                ):
                    msg = record.msg
    live.run(consumer.close())
    assert orjson.loads(msg.data) == {"method": "whoAmI", "params": {"x": 1}}
    replies = live.node.devices.client_rpc  # type: ignore[union-attr]
    meta = msg.metadata
    assert live.call(lambda: replies.reply(meta["sessionId"], int(meta["requestId"]), '"you"'))
    request_id, content, error = answers.wait()[0]
    assert (request_id, content, error) == (int(meta["requestId"]), "you", None)


def test_claim_through_the_sdk(
    live: LiveNode, device_client: tuple[Any, TBDeviceMqttClient]
) -> None:
    """22 (device half): the claim is stored with its secret."""
    device, client = device_client
    assert client.claim(secret_key="abc", duration=60000).get() == 0
    claims = live.node.devices.claims  # type: ignore[union-attr]
    current = live.run(claims.current(device.tenant_id, device.id))
    assert current is not None and current["secretKey"] == "abc"
