"""Two node processes on one PostgreSQL database and the JetStream queue: telemetry a node
acknowledged is stored even when the node holding its partition freezes and is killed for
good (a cluster's nodes are interchangeable; no node's disk holds unprocessed messages)."""

from __future__ import annotations

import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pytest

from industryos.demo import TENANT_ADMIN_EMAIL, TENANT_ADMIN_PASSWORD
from industryos.queue import partition_for
from tests.conftest import DatabaseFactory
from tests.support.jetstream import NATS_URL
from tests.support.node_process import RunningNode, start_node_process

PARTITIONS = 16  # of each topic: b gets none of them by rendezvous hashing once in 2**16
EACH = 5
WHOLE_LOG = 10_000_000
LEASE_TTL_S = 2


@pytest.fixture
def postgres_url(database_factory: DatabaseFactory) -> Iterator[str]:
    url = database_factory.new_url("postgresql")
    yield url
    database_factory.release(url)


@pytest.mark.timeout(180)
def test_a_killed_nodes_partitions_are_processed_by_the_other(
    tmp_path: Path, postgres_url: str, prefix: str
) -> None:
    env = {
        "INDUSTRYOS_DB_URL": postgres_url,
        "INDUSTRYOS_JWT_SECRET": "cluster-" + "s" * 60,
        "INDUSTRYOS_BUS_URL": NATS_URL,
        "INDUSTRYOS_QUEUE_URL": NATS_URL,
        "INDUSTRYOS_QUEUE_PREFIX": prefix,
        "INDUSTRYOS_QUEUE_LEASE_TTL_S": str(LEASE_TTL_S),
        "INDUSTRYOS_QUEUE_PARTITIONS": str(PARTITIONS),
    }
    nodes: list[RunningNode] = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            nodes.append(start_node_process(tmp_path / name, env))
        a, b = nodes
        http_a = a.wait_ready(120).http
        b.wait_ready(120)
        with httpx.Client(base_url=f"http://127.0.0.1:{http_a}", timeout=20) as api:
            _sign_in(api)
            devices: dict[str, str] = {}  # token → id; a device in every partition
            while {partition_for(uuid.UUID(i), PARTITIONS) for i in devices.values()} != set(
                range(PARTITIONS)
            ):
                token, device_id = _create_device(api, f"meter-{len(devices)}")
                devices[token] = device_id
            # the nodes have shared the partitions out (b holds some: its devices are waiting)
            _wait_for(lambda: _shared_out(a, b), "the nodes did not share the partitions out")
            on_b = _held(b)
            a_log_before = len(a.tail(WHOLE_LOG))
            os.kill(b.process.pid, signal.SIGSTOP)  # b holds its partitions and does nothing
            for seq in range(EACH):
                for token in devices:
                    answer = api.post(f"/api/v1/{token}/telemetry", json={"seq": seq, "kwh": 1.5})
                    assert answer.status_code == 200, answer.text  # in the stream: acknowledged
            b.process.kill()  # b never comes back
            b.process.wait()

            # once b's leases have expired, a takes its partitions and processes what b held
            deadline = time.monotonic() + 60
            stored = _stored(api, devices.values())
            while min(stored.values()) < EACH and time.monotonic() < deadline:
                time.sleep(0.5)
                stored = _stored(api, devices.values())
            assert set(stored.values()) == {EACH}, ("not all stored", stored, a.tail())
        # (a round logs its gains as it ends, which may be after the points are stored)
        _wait_for(lambda: _held(a) == set(range(PARTITIONS)), "a did not take b's share")
        after_freeze = a.tail(WHOLE_LOG)[a_log_before:]
        gains = "\n".join(moves for kind, moves in _MOVES.findall(after_freeze) if kind == "gained")
        assert on_b <= {int(p) for found in _MAIN.findall(gains) for p in found.split(",")}
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.process.send_signal(signal.SIGCONT)
            node.stop(30)


def _shared_out(a: RunningNode, b: RunningNode) -> bool:
    """Every partition held by exactly one node, and some by ``b``."""
    on_a, on_b = _held(a), _held(b)
    return on_a.isdisjoint(on_b) and on_a | on_b == set(range(PARTITIONS)) and bool(on_b)


def _held(node: RunningNode) -> set[int]:
    """The ``Main`` partitions ``node`` holds, by its log (``partitions gained: Main/rule-engine
    0,3,5; HighPriority/rule-engine 1``, and the same for released and lost)."""
    held: set[int] = set()
    for kind, moves in _MOVES.findall(node.tail(WHOLE_LOG)):
        main = _MAIN.search(moves)
        partitions = set() if main is None else {int(p) for p in main.group(1).split(",")}
        held = held | partitions if kind == "gained" else held - partitions
    return held


_MOVES = re.compile(r"partitions (gained|released|lost): (.*)")
_MAIN = re.compile(r"\bMain/rule-engine ([\d,]+)")


def _wait_for(condition: Callable[[], bool], failure: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def _sign_in(api: httpx.Client) -> None:
    login = {"username": TENANT_ADMIN_EMAIL, "password": TENANT_ADMIN_PASSWORD}
    answer = api.post("/api/auth/login", json=login)
    assert answer.status_code == 200, answer.text
    api.headers["X-Authorization"] = f"Bearer {answer.json()['token']}"


def _create_device(api: httpx.Client, name: str) -> tuple[str, str]:
    """A new device's access token and id."""
    device = api.post("/api/device", json={"name": name, "type": "default"})
    assert device.status_code == 200, device.text
    device_id = str(device.json()["id"]["id"])
    credentials = api.get(f"/api/device/{device_id}/credentials")
    assert credentials.status_code == 200, credentials.text
    return str(credentials.json()["credentialsId"]), device_id


def _stored(api: httpx.Client, device_ids: Iterable[str]) -> dict[str, int]:
    """Per device, how many ``seq`` points are stored."""
    counts: dict[str, int] = {}
    end = int(time.time() * 1000) + 60_000
    for device_id in device_ids:
        answer = api.get(
            f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries",
            params={"keys": "seq", "startTs": 0, "endTs": end, "limit": 1000},
        )
        assert answer.status_code == 200, answer.text
        counts[device_id] = len(answer.json().get("seq", []))
    return counts
