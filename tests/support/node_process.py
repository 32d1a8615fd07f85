"""A node run as its own process (``python -m industryos.cli run``) on ports it binds itself.

A test that picks a "free" port (bind port 0, read it, close the socket) and hands it to the
node races with every other process on the machine: until the node binds it, another test's
server may take the same port (xdist runs three workers at once), and the test then talks to
that server. A CI run waited in vain for a CONNACK that way. Here every listener binds port 0
and the ports come from the node's ``node ready (HTTP port …, MQTT port …)`` log line, so the
test can only ever reach its own node.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

__all__ = ["NodePorts", "RunningNode", "start_node_process"]

_READY = re.compile(
    rb"node ready \(HTTP port (\d+), MQTT port (\d+), MQTT TLS port (\d+), CoAP port (\d+)\)"
)


@dataclass(frozen=True)
class NodePorts:
    """Where the node listens."""

    http: int
    mqtt: int
    mqtt_tls: int
    coap: int


@dataclass
class RunningNode:
    """A node process and the log file it appends to."""

    process: subprocess.Popen[bytes]
    log_path: Path
    log_offset: int
    """Where this run's lines start in the log (runs on the same data dir append)."""

    def wait_ready(self, timeout: float = 60) -> NodePorts:
        """The ports from this run's ``node ready`` line; fails if the node exits first.
        A node that is not ready when this fails (timeout, interrupted) is killed: no caller
        is left holding it."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                found = _READY.search(self._log()[self.log_offset :])
                if found is not None:
                    return NodePorts(*(int(port) for port in found.groups()))
                if self.process.poll() is not None:
                    code = self.process.returncode
                    raise AssertionError(f"node exited with {code}:\n{self.tail()}")
                time.sleep(0.05)
            raise AssertionError(f"node not ready within {timeout} s:\n{self.tail()}")
        except BaseException:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            raise

    def tail(self, size: int = 4000) -> str:
        """The end of this run's log, for failure messages."""
        return self._log()[self.log_offset :][-size:].decode(errors="replace")

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL if the node does not stop in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _log(self) -> bytes:
        return self.log_path.read_bytes() if self.log_path.exists() else b""


def start_node_process(
    data_dir: Path,
    env: dict[str, str] | None = None,
    *,
    log_path: Path | None = None,
    open_files: int | None = None,
) -> RunningNode:
    """Start ``industryos run`` on ``data_dir`` (embedded mode unless ``env`` names a
    database), every listener on port 0.

    ``env`` adds or overrides settings; output (INFO and up) is appended to ``log_path``
    (``data_dir / "node.log"`` by default); ``open_files`` starts it with that soft
    open-file limit."""
    log_path = log_path or data_dir / "node.log"
    inherited = {k: v for k, v in os.environ.items() if k != "INDUSTRYOS_DB_URL"}
    settings = {
        **inherited,
        "INDUSTRYOS_DATA_DIR": str(data_dir),
        "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
        "INDUSTRYOS_HTTP_PORT": "0",
        "INDUSTRYOS_MQTT_PORT": "0",
        "INDUSTRYOS_MQTT_TLS_PORT": "0",
        "INDUSTRYOS_COAP_PORT": "0",
        "INDUSTRYOS_LOG_LEVEL": "INFO",
        **(env or {}),
    }
    offset = log_path.stat().st_size if log_path.exists() else 0
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "industryos.cli", "run"],
            env=settings,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if open_files is None else partial(_soft_open_files, open_files),
        )
    return RunningNode(process, log_path, offset)


def _soft_open_files(limit: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
