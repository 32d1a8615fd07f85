"""Server-side RPC across two real nodes (one PostgreSQL database, the real NATS bus): the
REST call is made on node A, the device (a real paho MQTT client) is connected to node B.

Each test has its own device, so its bus subject (``industryos.rpc.device.<id>``) is its
own; the nodes' other subjects carry their own random service ids.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from industryos.devices.rpc import RpcOutcome
from industryos.devices.rpc_cluster_wire import (
    RemoteCall,
    RemoteKind,
    decode_result,
    device_subject,
)
from industryos.entities.ids import now_ms
from industryos.queue.bus import NatsBus
from tests.conftest import DatabaseFactory
from tests.support.cluster import NATS_URL, Cluster, running_cluster, tenant_admin_client
from tests.support.paho import close_paho
from tests.transport.mqtt.device.livenode import LiveNode

REQUESTS = "v1/devices/me/rpc/request/+"


@pytest.fixture(scope="module")
def cluster(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two nodes in cluster mode; node A made the tenant the tests act in."""
    with running_cluster(database_factory, tmp_path_factory, rpc_min_timeout_ms=300) as nodes:
        yield nodes


@pytest.fixture
async def on_a(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    """The tenant admin's REST client on node A."""
    async with tenant_admin_client(cluster.a) as client:
        yield client


class Device:
    """A paho MQTT device that records server RPCs and answers them unless told not to."""

    def __init__(self, token: str, *, answer: bool = True) -> None:
        self.token = token
        self.answer = answer
        self.requests: list[tuple[str, Any]] = []
        self._cond = threading.Condition()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, reconnect_on_failure=False)
        self.client.username_pw_set(token)
        self.client.on_message = self._on_message
        self._subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self._subscribed.set()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        request_id = message.topic.rpartition("/")[2]
        body = orjson.loads(message.payload)
        with self._cond:
            self.requests.append((request_id, body))
            self._cond.notify_all()
        if self.answer:
            reply = orjson.dumps({"echo": body["params"], "method": body["method"]})
            client.publish(f"v1/devices/me/rpc/response/{request_id}", reply, qos=1)

    def connect(self, port: int) -> None:
        """Connect and subscribe to RPC requests (returns on SUBACK)."""
        connected = threading.Event()
        self.client.on_connect = lambda *args: connected.set()
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        assert connected.wait(10), "no CONNACK"
        self.client.subscribe(REQUESTS, qos=1)
        assert self._subscribed.wait(10), "no SUBACK"

    def wait_requests(self, count: int, timeout: float = 10.0) -> list[tuple[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.requests) >= count, timeout)
            return list(self.requests)

    def close(self) -> None:
        close_paho(self.client)


async def _device_on_b(cluster: Cluster, *, answer: bool = True) -> tuple[uuid.UUID, Device]:
    """A new device of the tenant, connected to node B and served to the cluster by it."""
    token = uuid.uuid4().hex
    device = cluster.a.create_device(f"d-{token[:8]}", token=token)
    assert device.id is not None
    client = Device(token, answer=answer)
    await asyncio.to_thread(client.connect, cluster.b.mqtt_port)
    await _until_served(cluster.b, device.id)
    return device.id, client


async def _until_served(node: LiveNode, device_id: uuid.UUID, served: bool = True) -> None:
    """Wait until ``node`` serves the device's subject (or, ``served=False``, stopped)."""
    rpc = node.node.rpc
    assert rpc is not None and rpc.cluster is not None
    cluster = rpc.cluster
    for _ in range(200):
        if node.call(lambda: cluster.serving(device_id)) is served:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"node B serving the device is not {served}")


async def test_twoway_reply_from_a_device_on_another_node(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    device_id, device = await _device_on_b(cluster)
    try:
        body = {"method": "setGpio", "params": {"pin": 4, "value": 1}}
        answer = await on_a.post(f"/api/rpc/twoway/{device_id}", json=body)
        assert (answer.status_code, answer.json()) == (
            200,
            {"echo": {"pin": 4, "value": 1}, "method": "setGpio"},
        )
        legacy = await on_a.post(f"/api/plugins/rpc/twoway/{device_id}", json=body)
        assert legacy.status_code == 200
        assert legacy.json()["method"] == "setGpio"
        assert [request["method"] for _, request in device.wait_requests(2)] == ["setGpio"] * 2
    finally:
        await asyncio.to_thread(device.close)


async def test_oneway_is_200_once_delivered_on_another_node(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    device_id, device = await _device_on_b(cluster, answer=False)
    try:
        body = {"method": "reboot", "params": {"delay": 3}}
        answer = await on_a.post(f"/api/rpc/oneway/{device_id}", json=body)
        assert (answer.status_code, answer.content) == (200, b"")
        [(_, request)] = device.wait_requests(1)
        assert request == {"method": "reboot", "params": {"delay": 3}}
    finally:
        await asyncio.to_thread(device.close)


async def test_unanswered_and_offline_give_the_single_node_statuses(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    device_id, device = await _device_on_b(cluster, answer=False)
    body = {"method": "slow", "params": {}, "timeout": 500}
    try:
        assert (await on_a.post(f"/api/rpc/twoway/{device_id}", json=body)).status_code == 504
        legacy = await on_a.post(f"/api/plugins/rpc/twoway/{device_id}", json=body)
        assert (legacy.status_code, legacy.content) == (408, b"")
        assert len(device.wait_requests(2)) == 2  # delivered, then not answered
    finally:
        await asyncio.to_thread(device.close)
    await _until_served(cluster.b, device_id, served=False)  # its last session is gone
    await asyncio.sleep(0.1)  # and the bus subscription with it
    assert (await on_a.post(f"/api/rpc/twoway/{device_id}", json=body)).status_code == 504
    offline = await on_a.post(f"/api/plugins/rpc/twoway/{device_id}", json=body)
    assert offline.status_code == 409  # never delivered: no node holds a session


async def test_persistent_rpc_made_on_a_reaches_the_device_when_it_connects_to_b(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    token = uuid.uuid4().hex
    device = cluster.a.create_device(f"p-{token[:8]}", token=token)
    body = {
        "method": "later",
        "params": {"n": 1},
        "persistent": True,
        "expirationTime": now_ms() + 20_000,
    }
    sent = await on_a.post(f"/api/rpc/twoway/{device.id}", json=body)
    assert sent.status_code == 200
    rpc_id = sent.json()["rpcId"]
    assert (await on_a.get(f"/api/rpc/persistent/{rpc_id}")).json()["status"] == "QUEUED"
    client = Device(token)
    await asyncio.to_thread(client.connect, cluster.b.mqtt_port)
    try:
        [(_, request)] = client.wait_requests(1)
        assert request == {"method": "later", "params": {"n": 1}}
        record = await _until_status(on_a, rpc_id, "SUCCESSFUL")
        assert record["response"] == {"echo": {"n": 1}, "method": "later"}
        # the device is online on B now: a new persistent call made on A goes out at once
        assert device.id is not None
        await _until_served(cluster.b, device.id)
        again = await on_a.post(f"/api/rpc/oneway/{device.id}", json={**body, "method": "now"})
        assert [r["method"] for _, r in client.wait_requests(2)] == ["later", "now"]
        await _until_status(on_a, again.json()["rpcId"], "SUCCESSFUL")
    finally:
        await asyncio.to_thread(client.close)


async def _until_status(client: httpx.AsyncClient, rpc_id: str, status: str) -> Any:
    for _ in range(300):
        record = (await client.get(f"/api/rpc/persistent/{rpc_id}")).json()
        if record["status"] == status:
            return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"RPC {rpc_id} is {record['status']}, not {status}")


async def test_a_node_never_delivers_to_a_device_of_another_tenant(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    """A bus request naming the device but another tenant is refused, and the device hears
    nothing; the same request with the device's tenant is delivered."""
    device_id, device = await _device_on_b(cluster)
    bus = await NatsBus.connect(NATS_URL, name="test-intruder")
    try:
        assert cluster.a.admin is not None and cluster.a.admin.tenant_id is not None
        tenant_id = cluster.a.admin.tenant_id

        async def ask(tenant: uuid.UUID) -> RpcOutcome:
            call = RemoteCall(
                RemoteKind.CALL, tenant, device_id, uuid.uuid4(), "m", "{}", False, 2.0
            )
            answer = await bus.request(device_subject(device_id), call.encode(), 5.0)
            return decode_result(answer).outcome

        assert await ask(uuid.uuid4()) is RpcOutcome.NO_ACTIVE_CONNECTION
        await asyncio.sleep(0.2)
        assert device.requests == []
        assert await ask(tenant_id) is RpcOutcome.RESPONSE
        assert len(device.wait_requests(1)) == 1
    finally:
        await bus.close()
        await asyncio.to_thread(device.close)
