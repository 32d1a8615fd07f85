"""A NATS server with JetStream of the test's own, to stop and start again (a queue outage).

The machine's server (127.0.0.1:4222) is shared by every test; an outage test needs one it
may take down. Its JetStream files stay in its directory, so a restart keeps the streams.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.support.ports import free_port

__all__ = ["NatsServer", "nats_server"]


class NatsServer:
    """One server on 127.0.0.1:``port``, JetStream files under ``store``."""

    def __init__(self, store: Path, port: int) -> None:
        self.store = store
        self.port = port
        self.url = f"nats://127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (again) and wait until it accepts connections."""
        self._process = subprocess.Popen(
            ["nats-server", "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError("nats-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Kill it, as a crash or a lost host would: connections are cut."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
            self._process = None


@contextlib.contextmanager
def nats_server() -> Iterator[NatsServer]:
    """A started server, stopped and its files removed at the end."""
    with tempfile.TemporaryDirectory(prefix="nats-") as store:
        server = NatsServer(Path(store), free_port())
        server.start()
        try:
            yield server
        finally:
            server.stop()
