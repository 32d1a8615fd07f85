"""The live-node harness itself: a node that fails to start leaves nothing running."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from industryos.transport.binding import PortUnavailable
from tests.transport.mqtt.device.livenode import start_live_node


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_node_that_fails_to_start_is_stopped_and_its_loop_ends(
    tmp_path: Path, db_url: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(PortUnavailable, match="address already in use"):
            start_live_node(tmp_path, db_url, http_port=taken.getsockname()[1])
    assert not [t for t in threading.enumerate() if t.name == "live-node"]
