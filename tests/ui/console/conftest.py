"""One node for every console test (alarms, profiles, notifications, entities).

The parent conftest starts a node per module; these tests only add their own uniquely
named entities, so they share one node per package and the suite pays one start-up.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.ui.conftest import UI_DIST, UiNode, _free_port, _wait_ready


@pytest.fixture(scope="package")
def ui_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiNode]:
    if not (UI_DIST / "index.html").is_file():
        pytest.fail("ui/dist is missing: run `make setup` (it builds the UI)")
    http_port, mqtt_port = _free_port(), _free_port()
    data_dir = tmp_path_factory.mktemp("console-node")
    env = {
        **os.environ,
        "INDUSTRYOS_DATA_DIR": str(data_dir),
        "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
        "INDUSTRYOS_HTTP_PORT": str(http_port),
        "INDUSTRYOS_MQTT_PORT": str(mqtt_port),
        "INDUSTRYOS_MQTT_TLS_PORT": str(_free_port()),
        "INDUSTRYOS_COAP_PORT": str(_free_port(socket.SOCK_DGRAM)),
        "INDUSTRYOS_DEMO": "true",
        "INDUSTRYOS_LOG_LEVEL": "WARNING",
    }
    env.pop("INDUSTRYOS_DB_URL", None)
    log_path = data_dir / "node.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "industryos.cli", "run"],
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{http_port}"
        try:
            _wait_ready(base_url, process, log_path)
            yield UiNode(base_url, mqtt_port)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
