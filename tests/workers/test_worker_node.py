"""A node of two worker processes, as ``industryos run`` starts it (``INDUSTRYOS_WORKERS=2``).

Devices are spread over the workers by the kernel (one listening socket each on the shared
MQTT port); whichever worker a device, a WebSocket or a REST call lands on, it works as on a
node of one process: telemetry is stored and pushed to every subscription, and a server-side
RPC reaches the device. A worker that dies is restarted; the workers end with worker 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from websockets.asyncio.client import connect

from industryos.demo import SYSADMIN_EMAIL, SYSADMIN_PASSWORD, TENANT_ADMIN_EMAIL
from industryos.open_files import FEW_FILES
from tests.support.node_process import NodePorts, RunningNode, start_node_process
from tests.support.paho import close_paho

DEVICES = 16
SECRET = "workers-test-" + "s" * 60


class Workers:
    """The running node, its ports and the demo tenant administrator's REST client."""

    def __init__(self, node: RunningNode, ports: NodePorts, data_dir: Path) -> None:
        self.node = node
        self.ports = ports
        self.data_dir = data_dir
        self.base = f"http://127.0.0.1:{ports.http}"
        login = httpx.post(
            f"{self.base}/api/auth/login",
            json={"username": TENANT_ADMIN_EMAIL, "password": "tenant"},
            timeout=10,
        )
        assert login.status_code == 200, login.text
        self.token = login.json()["token"]
        self.headers = {"X-Authorization": f"Bearer {self.token}"}

    def rest(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call on a new connection (so calls spread over the workers), checked."""
        response = httpx.request(
            method, f"{self.base}{path}", headers=self.headers, timeout=30, **kwargs
        )
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json() if response.content else None

    def device(self, name: str) -> tuple[str, str]:
        """A new device's id and access token."""
        device = self.rest("POST", "/api/device", json={"name": name, "type": "default"})
        device_id = device["id"]["id"]
        credentials = self.rest("GET", f"/api/device/{device_id}/credentials")
        return device_id, credentials["credentialsId"]


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def other_workers(pid: int) -> list[int]:
    """The worker processes worker 0 (``pid``) started (not its SQLite writer process)."""
    found = []
    for child in children(pid):
        try:
            if b"industryos.workers" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found


def queue_bytes(directory: Path) -> int:
    """Bytes a worker's durable queue holds (its logs grow with every append)."""
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


class Device:
    """A paho MQTT device that answers server-side RPC requests with their params."""

    def __init__(self, port: int, token: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        self.client.username_pw_set(token)
        self.subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe("v1/devices/me/rpc/request/+", 1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = self._answer
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _answer(self, client: mqtt.Client, _: Any, message: mqtt.MQTTMessage) -> None:
        request_id = message.topic.rpartition("/")[2]
        params = json.loads(message.payload)["params"]
        client.publish(f"v1/devices/me/rpc/response/{request_id}", json.dumps(params), qos=1)

    def publish(self, values: dict[str, Any]) -> None:
        info = self.client.publish("v1/devices/me/telemetry", json.dumps(values), qos=1)
        info.wait_for_publish(10)
        assert info.is_published()

    def close(self) -> None:
        close_paho(self.client)


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    data_dir = tmp_path_factory.mktemp("workers")
    node = start_node_process(
        data_dir, {"INDUSTRYOS_WORKERS": "2", "INDUSTRYOS_JWT_SECRET": SECRET}
    )
    ports = node.wait_ready(120)
    try:
        yield Workers(node, ports, data_dir)
    finally:
        node.stop(60)


def test_worker_0_starts_the_other_worker_on_the_same_ports(workers: Workers) -> None:
    assert len(other_workers(workers.node.process.pid)) == 1
    ports = workers.ports
    line = f"worker 1 ready (HTTP port {ports.http}, MQTT port {ports.mqtt}, "
    assert line in workers.node.tail(100_000)


def test_a_scrape_on_either_worker_covers_both(workers: Workers) -> None:
    """A scrape lands on one worker, which adds the other's samples: every scrape has both
    workers' series (a series missing from a scrape goes stale in Prometheus), each metric
    typed once. Ten scrapes on new connections reach both workers."""
    for _ in range(10):
        scrape = httpx.get(f"{workers.base}/metrics", timeout=10)
        assert scrape.status_code == 200
        labels = re.findall(
            r'^industryos_queue_appended_total\{worker="(\d)"\} \d+$', scrape.text, re.MULTILINE
        )
        assert sorted(labels) == ["0", "1"], scrape.text
        types = [line for line in scrape.text.splitlines() if line.startswith("# TYPE")]
        assert len(types) == len(set(types))
        health = httpx.get(f"{workers.base}/api/health", timeout=10)
        assert (health.status_code, health.json()) == (200, {"status": "UP"})


def test_devices_on_either_worker_are_stored_and_pushed_to_every_websocket(
    workers: Workers,
) -> None:
    devices = dict(workers.device(f"spread-{n}") for n in range(DEVICES))  # id → token
    queues = [workers.data_dir / "queue", workers.data_dir / "queue-1"]
    before = [queue_bytes(queue) for queue in queues]

    async def watch_and_publish() -> list[dict[str, Any]]:
        # two WebSockets, so that (almost surely) each worker has one
        sockets = [
            await connect(f"ws://127.0.0.1:{workers.ports.http}/api/ws?token={workers.token}")
            for _ in range(2)
        ]
        try:
            for connection in sockets:
                cmds = [
                    {
                        "type": "TIMESERIES",
                        "cmdId": n,
                        "entityType": "DEVICE",
                        "entityId": device_id,
                        "keys": "seq",
                    }
                    for n, device_id in enumerate(devices, start=1)
                ]
                await connection.send(json.dumps({"cmds": cmds}))
                for _ in cmds:  # the (empty) first reply of each subscription
                    json.loads(await asyncio.wait_for(connection.recv(), 20))
            clients = await asyncio.to_thread(
                lambda: [Device(workers.ports.mqtt, token) for token in devices.values()]
            )
            try:
                for n, client in enumerate(clients):
                    await asyncio.to_thread(client.publish, {"seq": n})
                pushed: list[dict[str, Any]] = []
                for connection in sockets:
                    for _ in devices:
                        pushed.append(json.loads(await asyncio.wait_for(connection.recv(), 20)))
                return pushed
            finally:
                for client in clients:
                    client.close()
        finally:
            for connection in sockets:
                await connection.close()

    pushed = asyncio.run(watch_and_publish())
    # every device's value reached both WebSockets, whichever worker stored it
    got = sorted((p["subscriptionId"], p["data"]["seq"][0][1]) for p in pushed)
    assert got == sorted([(n, str(n - 1)) for n in range(1, DEVICES + 1)] * 2)
    after = [queue_bytes(queue) for queue in queues]
    assert after[0] > before[0] and after[1] > before[1], (before, after)  # both took devices
    # pushes come when the points are accepted; the commit follows within a flush interval
    deadline = time.monotonic() + 10
    for n, device_id in enumerate(devices):
        path = f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries?keys=seq"
        while (latest := workers.rest("GET", path)).get("seq") is None:
            assert time.monotonic() < deadline, f"device {n} was pushed but never stored"
            time.sleep(0.05)
        assert latest["seq"][0]["value"] == str(n)


def test_queue_stats_on_either_worker_count_both(workers: Workers) -> None:
    """Each worker's rule engine consumes its own queue: the worker asked adds the other's
    counts, so every answer lies between two scrapes' totals over both workers."""
    login = {"username": SYSADMIN_EMAIL, "password": SYSADMIN_PASSWORD}
    token = httpx.post(f"{workers.base}/api/auth/login", json=login, timeout=10).json()["token"]

    def successful_per_worker() -> dict[str, int]:
        scrape = httpx.get(f"{workers.base}/metrics", timeout=10).text
        found = re.findall(
            r'^industryos_rule_engine_successful_total\{queue="Main",worker="(\d)"\} (\d+)$',
            scrape,
            re.MULTILINE,
        )
        return {worker: int(count) for worker, count in found}

    # messages on both workers first (the kernel spreads the devices' connections)
    clients = [Device(workers.ports.mqtt, workers.device(f"stats-{n}")[1]) for n in range(16)]
    try:
        for n, client in enumerate(clients):
            client.publish({"seq": n})
    finally:
        for client in clients:
            client.close()
    deadline = time.monotonic() + 20
    while not all((before := successful_per_worker()).get(w) for w in ("0", "1")):
        assert time.monotonic() < deadline, before
        time.sleep(0.1)

    for _ in range(6):
        before = successful_per_worker()
        response = httpx.get(
            f"{workers.base}/api/ruleEngine/queues/stats",
            headers={"X-Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        (main,) = [queue for queue in response.json() if queue["queueName"] == "Main"]
        after = successful_per_worker()
        assert sum(before.values()) <= main["successfulMsgs"] <= sum(after.values())


def test_a_server_side_rpc_reaches_a_device_on_either_worker(workers: Workers) -> None:
    devices = [workers.device(f"rpc-{n}") for n in range(8)]
    clients = [Device(workers.ports.mqtt, token) for _, token in devices]
    try:
        for client in clients:
            assert client.subscribed.wait(10)
        for n, (device_id, _) in enumerate(devices):
            # each call on a new HTTP connection: it may land on the other worker
            answer = workers.rest(
                "POST",
                f"/api/plugins/rpc/twoway/{device_id}",
                json={"method": "echo", "params": {"n": n}, "timeout": 10000},
            )
            assert answer == {"n": n}
    finally:
        for client in clients:
            client.close()


def test_a_worker_that_dies_is_started_again(workers: Workers) -> None:
    (child,) = other_workers(workers.node.process.pid)
    os.kill(child, signal.SIGKILL)
    # a check on worker 0 meanwhile says why the node is not UP (one on worker 1's socket
    # waits in its backlog for the new worker 1)
    health = httpx.get(f"{workers.base}/api/health", timeout=60)
    if health.status_code != 200:
        assert health.json()["status"] in ("DOWN", "STARTING"), health.text
        assert "worker 1" in health.json()["reason"], health.text
    deadline = time.monotonic() + 60
    while "worker 1 restarted" not in workers.node.tail(100_000):
        assert time.monotonic() < deadline, workers.node.tail()
        time.sleep(0.1)
    (again,) = other_workers(workers.node.process.pid)
    assert again != child
    # once the new worker 1 is ready, either worker answers UP for both
    up_in_a_row = 0
    while up_in_a_row < 10:
        assert time.monotonic() < deadline, health.text
        health = httpx.get(f"{workers.base}/api/health", timeout=10)
        up_in_a_row = up_in_a_row + 1 if health.status_code == 200 else 0
        time.sleep(0 if up_in_a_row else 0.1)
    # the node serves as before: devices connect, whichever socket the kernel picks
    _, token = workers.device("after-restart")
    device = Device(workers.ports.mqtt, token)
    try:
        device.publish({"seq": 7})
    finally:
        device.close()


def test_the_other_workers_end_with_worker_0(tmp_path: Path) -> None:
    node = start_node_process(tmp_path, {"INDUSTRYOS_WORKERS": "2", "INDUSTRYOS_DEMO": "false"})
    node.wait_ready(120)
    (child,) = other_workers(node.process.pid)
    node.process.kill()
    node.process.wait()
    deadline = time.monotonic() + 20
    while Path(f"/proc/{child}").exists() and _state(child) != "Z":
        assert time.monotonic() < deadline, "worker 1 outlived worker 0"
        time.sleep(0.05)


def test_sigterm_stops_every_worker(tmp_path: Path) -> None:
    node = start_node_process(tmp_path, {"INDUSTRYOS_WORKERS": "2", "INDUSTRYOS_DEMO": "false"})
    node.wait_ready(120)
    (child,) = other_workers(node.process.pid)
    node.process.terminate()
    assert node.process.wait(60) == 0
    assert not Path(f"/proc/{child}").exists() or _state(child) == "Z"
    assert "[worker 1] industryos.node: node stopped" in node.tail(100_000)


def _open_files(pid: int) -> tuple[int, int]:
    """A process's soft and hard open-file limits."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError(f"no open-file limit for {pid}")


def test_every_worker_serves_with_the_hard_open_file_limit(tmp_path: Path) -> None:
    """Started at a soft limit of 1,024 (systemd's default), uvloop would stop accepting
    devices past about a thousand per worker without a word."""
    node = start_node_process(
        tmp_path, {"INDUSTRYOS_WORKERS": "2", "INDUSTRYOS_DEMO": "false"}, open_files=1024
    )
    try:
        node.wait_ready(120)
        (child,) = other_workers(node.process.pid)
        hard = _open_files(node.process.pid)[1]
        assert _open_files(node.process.pid) == _open_files(child) == (hard, hard)
        if hard >= FEW_FILES:
            assert f"open-file limit raised from 1024 to {hard}" in node.tail(100_000)
    finally:
        node.stop(60)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "X"


def test_a_node_started_with_fewer_workers_takes_over_their_queues(tmp_path: Path) -> None:
    env = {"INDUSTRYOS_DEMO": "false"}
    node = start_node_process(tmp_path, {**env, "INDUSTRYOS_WORKERS": "2"})
    node.wait_ready(120)
    node.stop(60)
    assert (tmp_path / "queue-1").is_dir()
    node = start_node_process(tmp_path, env)  # one process from now on
    try:
        node.wait_ready(120)
        assert not (tmp_path / "queue-1").exists()
        assert "worker 1's queue" in node.tail(100_000)
    finally:
        node.stop(60)
