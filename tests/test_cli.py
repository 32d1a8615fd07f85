"""The ``industryos`` command: how its serving process imports the node, and the one line
and exit status 1 of a start it cannot make here."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.node_process import start_node_process

IMPORT_NODE = """
import gc, json, sys
from industryos import cli

assert "industryos.node" not in sys.modules
full_before = gc.get_stats()[2]["collections"]
node_class = cli.import_node()
print(json.dumps({
    "node": node_class.__module__,
    "full_collections": gc.get_stats()[2]["collections"] - full_before,
    "frozen": gc.get_freeze_count(),
    "enabled": gc.isenabled(),
}))
"""


def test_node_is_imported_without_collections_and_frozen() -> None:
    run = subprocess.run(
        [sys.executable, "-c", IMPORT_NODE], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["node"] == "industryos.node"
    assert result["full_collections"] == 0
    assert result["frozen"] > 100_000  # what the import built is out of the collector's way
    assert result["enabled"] is True  # and the collector runs again for what follows


def _refused(data_dir: Path, command: str = "run", **settings: str) -> list[str]:
    """Run ``industryos <command>`` on ``data_dir`` with every port 0 and ``settings``
    (``INDUSTRYOS_`` names without the prefix); it must refuse: status 1, no traceback.
    Returns its standard error's lines."""
    env = {**os.environ, "INDUSTRYOS_DATA_DIR": str(data_dir)}
    env.pop("INDUSTRYOS_DB_URL", None)
    for port in ("HTTP", "MQTT", "MQTT_TLS", "COAP"):
        env[f"INDUSTRYOS_{port}_PORT"] = "0"
    env.update({f"INDUSTRYOS_{name}": value for name, value in settings.items()})
    run = subprocess.run(
        [sys.executable, "-m", "industryos.cli", command],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    return run.stderr.strip().splitlines()


@pytest.mark.parametrize(
    ("setting", "kind", "workers", "shared"),
    [
        ("HTTP_PORT", socket.SOCK_STREAM, "1", False),
        ("MQTT_PORT", socket.SOCK_STREAM, "1", False),
        ("COAP_PORT", socket.SOCK_DGRAM, "1", False),
        ("MQTT_PORT", socket.SOCK_STREAM, "2", False),  # worker 0 binds the shared sockets
        # held with SO_REUSEPORT, as another node's workers or CoAP hold theirs: binding it
        # too would have worked, and the kernel would have split the devices between nodes
        ("HTTP_PORT", socket.SOCK_STREAM, "2", True),
        ("COAP_PORT", socket.SOCK_DGRAM, "1", True),
    ],
)
def test_a_port_another_program_holds_is_one_line_and_status_1(
    tmp_path: Path, setting: str, kind: socket.SocketKind, workers: str, shared: bool
) -> None:
    """Not a traceback (MQTT) or uvicorn's exit status 3 (HTTP): the address and what to do."""
    with socket.socket(socket.AF_INET, kind) as taken:
        if shared:
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("0.0.0.0", 0))
        if kind == socket.SOCK_STREAM:
            taken.listen()
        port = taken.getsockname()[1]
        last = _refused(tmp_path, WORKERS=workers, **{setting: str(port)})[-1]
    assert last.startswith(
        f"industryos: cannot run: cannot listen on ('0.0.0.0', {port}): address already in "
        "use; stop the program that holds the port, or choose another (http_host, "
    ), last


def test_a_second_node_on_a_data_dir_in_use_is_refused_before_it_touches_anything(
    tmp_path: Path,
) -> None:
    first = start_node_process(tmp_path)
    try:
        first.wait_ready(60)
        said = _refused(tmp_path)
    finally:
        first.stop(30)
    assert said == [
        f"industryos: cannot run: data dir {tmp_path} is in use by another node "
        f"(process {first.process.pid}); stop it, or give this one another data dir "
        "(data_dir, INDUSTRYOS_DATA_DIR)"
    ]


@pytest.mark.parametrize("command", ["run", "migrate"])
def test_a_database_that_refuses_connections_is_one_line_and_status_1(
    tmp_path: Path, command: str, refused_port: int
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{refused_port}/test"
    last = _refused(tmp_path, command, DB_URL=url)[-1]
    async_url = url.replace("postgresql://", "postgresql+asyncpg://")
    assert last.startswith(
        f"industryos: cannot {command}: the database {async_url} does not accept a connection: "
    ), last


def test_a_cluster_bus_that_refuses_connections_is_one_line_and_status_1(
    tmp_path: Path, refused_port: int
) -> None:
    bus = f"nats://127.0.0.1:{refused_port}"
    last = _refused(tmp_path, BUS_URL=bus, JWT_SECRET="cluster-" + "s" * 60)[-1]
    assert last.startswith(f"industryos: cannot run: cannot connect to the cluster bus at {bus}"), (
        last
    )


def test_a_queue_that_refuses_connections_is_one_line_and_status_1(
    tmp_path: Path, refused_port: int
) -> None:
    queue = f"nats://127.0.0.1:{refused_port}"
    last = _refused(tmp_path, QUEUE_URL=queue)[-1]
    assert last.startswith(f"industryos: cannot run: cannot connect to the queue at {queue}"), last
