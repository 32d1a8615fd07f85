"""Shared pieces of the node benchmarks: a node process, REST set-up, /proc readings.

The node runs as ``bench/_stats_node.py`` (``industryos run`` plus queue counters on
SIGUSR1) in its own process with a raised file limit, on free ports and a fresh data dir.
Everything here is synchronous and small: the benchmarks drive load from other processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

TENANT = {"username": "tenant@industryos.local", "password": "tenant"}
TELEMETRY_TOPIC = "v1/devices/me/telemetry"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_nofile(wanted: int = 1_048_576) -> int:
    """Raise this process's open-file limit as far as allowed; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
        return target
    return soft


def load() -> str:
    """The 1/5/15-minute load averages (the machine is shared: print them with figures)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def process_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (a node's worker processes)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree = [pid]
    for member in tree:
        tree.extend(child for child, parent in parents.items() if parent == member)
    return tree


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants in MiB (pages shared between them
    count once per process, as ``ps`` shows them)."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/status") as status:
                total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds ``pid`` and its live descendants have used."""
    total = 0
    for member in process_tree(pid):
        try:
            with open(f"/proc/{member}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def delete_jetstream_queue(url: str, prefix: str) -> None:
    """Delete a run's JetStream streams (imported here: ``ab.py`` runs the benchmarks
    against older packages, which have no JetStream queue)."""
    from industryos.queue.jetstream import delete_queue

    asyncio.run(delete_queue(url, prefix))


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` percentile of ``values`` (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def result_line(bench: str, **figures: Any) -> None:
    """The one machine-readable line a benchmark prints (``bench/summary.py`` reads it)."""
    print("BENCH-RESULT " + json.dumps({"bench": bench, "load": os.getloadavg()[0], **figures}))
    sys.stdout.flush()


class NodeProcess:
    """``industryos run`` (with queue counters on SIGUSR1) in its own process."""

    def __init__(
        self,
        data_dir: str | Path | None = None,
        db_url: str | None = None,
        *,
        demo: bool = True,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="iosbench-")
            data_dir = self._tmp.name
        self.data_dir = Path(data_dir)
        self.db_url = db_url
        self.http_port, self.mqtt_port = free_port(), free_port()
        self.env = {
            **os.environ,
            "INDUSTRYOS_DATA_DIR": str(self.data_dir),
            "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
            "INDUSTRYOS_HTTP_PORT": str(self.http_port),
            "INDUSTRYOS_MQTT_PORT": str(self.mqtt_port),
            "INDUSTRYOS_MQTT_TLS_PORT": "0",
            "INDUSTRYOS_COAP_PORT": "0",
            "INDUSTRYOS_LOG_LEVEL": "WARNING",
            "INDUSTRYOS_DEMO": "true" if demo else "false",
            "INDUSTRYOS_JWT_SECRET": "bench-" + "s" * 58,
            **(extra_env or {}),
        }
        if db_url:
            self.env["INDUSTRYOS_DB_URL"] = db_url
        else:
            self.env.pop("INDUSTRYOS_DB_URL", None)
        self.process: subprocess.Popen[str] | None = None
        self.started_at = 0.0

    @property
    def pid(self) -> int:
        """The node's process id."""
        assert self.process is not None
        return self.process.pid

    @property
    def base(self) -> str:
        """The REST base URL."""
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> NodeProcess:
        """Spawn the node (returns at once; see :meth:`wait_ready`)."""
        script = Path(__file__).with_name("_stats_node.py")
        log = (self.data_dir / "node.log").open("ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, str(script)],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            preexec_fn=raise_nofile,
        )
        log.close()
        return self

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Poll ``/api/health`` until 200; seconds since :meth:`start`."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"node exited; see {self.data_dir / 'node.log'}")
                try:
                    if client.get(f"{self.base}/api/health").status_code == 200:
                        return time.monotonic() - self.started_at
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise RuntimeError("node did not become ready")

    def queue_stats(self) -> dict[str, Any]:
        """The node's queue counters (appended, commits, fsyncs)."""
        assert self.process is not None and self.process.stdout is not None
        self.process.send_signal(signal.SIGUSR1)
        return dict(json.loads(self.process.stdout.readline()))

    def kill(self) -> None:
        """SIGKILL, and reap."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after 30 s)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def cleanup(self) -> None:
        """Stop and remove a temporary data dir."""
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


def alarm_rule(key: str = "temperature", threshold: float = 1000.0) -> dict[str, Any]:
    """An alarm definition ``key > threshold`` raising "High <key>" (CRITICAL), no clear rule."""
    condition = {
        "key": {"type": "TIME_SERIES", "key": key},
        "valueType": "NUMERIC",
        "predicate": {
            "type": "NUMERIC",
            "operation": "GREATER",
            "value": {"defaultValue": threshold, "userValue": None, "dynamicValue": None},
        },
    }
    return {
        "id": "bench-high",
        "alarmType": "High " + key,
        "createRules": {
            "CRITICAL": {
                "condition": {"condition": [condition], "spec": {"type": "SIMPLE"}},
                "schedule": None,
                "alarmDetails": None,
            }
        },
        "clearRule": None,
    }


class Rest:
    """The tenant administrator's REST session (demo tenant)."""

    def __init__(self, base: str) -> None:
        self.base = base
        token = httpx.post(f"{base}/api/auth/login", json=TENANT, timeout=30).json()["token"]
        self.token = token
        self.headers = {"X-Authorization": f"Bearer {token}"}

    def add_alarm_rule(self, key: str = "temperature", threshold: float = 1000.0) -> None:
        """One alarm rule on the default device profile: ``key > threshold`` raises "High"."""
        profile = httpx.get(
            f"{self.base}/api/deviceProfileInfo/default", headers=self.headers, timeout=30
        ).json()
        full = httpx.get(
            f"{self.base}/api/deviceProfile/{profile['id']['id']}",
            headers=self.headers,
            timeout=30,
        ).json()
        full["profileData"]["alarms"] = [alarm_rule(key, threshold)]
        saved = httpx.post(
            f"{self.base}/api/deviceProfile", json=full, headers=self.headers, timeout=30
        )
        saved.raise_for_status()

    def create_devices(
        self, prefix: str, count: int, concurrency: int = 16
    ) -> dict[str, uuid.UUID]:
        """``count`` devices named ``{prefix}{i}`` with access token ``{prefix}{i}``: ids."""
        return asyncio.run(self._create(prefix, count, concurrency))

    async def _create(self, prefix: str, count: int, concurrency: int) -> dict[str, uuid.UUID]:
        names = [f"{prefix}{i}" for i in range(count)]
        ids: dict[str, uuid.UUID] = {}
        pending = iter(names)
        async with httpx.AsyncClient(base_url=self.base, headers=self.headers, timeout=60) as c:

            async def worker() -> None:
                for name in pending:
                    response = await c.post(
                        "/api/device", params={"accessToken": name}, json={"name": name}
                    )
                    response.raise_for_status()
                    ids[name] = uuid.UUID(response.json()["id"]["id"])

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return {name: ids[name] for name in names}
