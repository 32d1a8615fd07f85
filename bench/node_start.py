"""Start-to-ready time and idle RSS of a fresh embedded node.

    .venv/bin/python bench/node_start.py [--runs 3] [--idle 5] [--bytecode]

Each run starts ``industryos run`` on a new data dir (first start: migrations and demo
data), then once more on the same data dir (warm start), polls ``/api/health`` until 200,
lets the node idle and reads its resident memory from /proc. Next to the wall-clock time it
prints the CPU the node used until ready, which the other work on a shared machine moves
much less.

The node inherits this environment, so with ``PYTHONDONTWRITEBYTECODE`` set and no
``__pycache__`` in the checkout every start compiles the package from source (~0.3 s on
this machine); the output says which. ``--bytecode`` measures what an installed package
(compiled at install) sees: the node reads and writes its bytecode in a private cache
(``PYTHONPYCACHEPREFIX``), filled by one unmeasured start first.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from _common import cpu_seconds, load, result_line, rss_mib


@dataclass(frozen=True)
class Start:
    """One node start: wall seconds and CPU seconds until ready, idle RSS in MiB."""

    ready_s: float
    cpu_s: float
    rss_mib: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_once(data_dir: str, idle_s: float, extra_env: dict[str, str]) -> Start:
    """Start a node on ``data_dir``, wait until ready, let it idle, stop it."""
    port = free_port()
    env = {
        **os.environ,
        **extra_env,
        "INDUSTRYOS_DATA_DIR": data_dir,
        "INDUSTRYOS_HTTP_PORT": str(port),
        "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
        "INDUSTRYOS_LOG_LEVEL": "WARNING",
        "INDUSTRYOS_MQTT_PORT": str(free_port()),
        "INDUSTRYOS_MQTT_TLS_PORT": str(free_port()),
        "INDUSTRYOS_COAP_PORT": str(free_port()),
    }
    if "PYTHONPYCACHEPREFIX" in extra_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "industryos.cli", "run"], env=env)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("node exited during start")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # not listening yet, or (workers) a worker not serving its socket yet
            time.sleep(0.02)
        ready = time.monotonic() - started
        cpu = cpu_seconds(process.pid)
        time.sleep(idle_s)
        return Start(ready, cpu, rss_mib(process.pid))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _measure(
    runs: int, idle_s: float, extra_env: dict[str, str]
) -> tuple[list[Start], list[Start]]:
    """Fresh and existing-data starts of ``runs`` runs."""
    fresh, existing = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data_dir:
            fresh.append(start_once(data_dir, idle_s, extra_env))
            existing.append(start_once(data_dir, idle_s, extra_env))
    return fresh, existing


def _bytecode(private_cache: bool) -> str:
    """How the node gets its bytecode under this environment."""
    if private_cache:
        return "private cache (as an installed package)"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "PYTHONDONTWRITEBYTECODE set: compiled from source unless __pycache__ exists"
    return "written to and read from __pycache__"


def _line(label: str, starts: list[Start]) -> str:
    ready = [s.ready_s for s in starts]
    cpu = [s.cpu_s for s in starts]
    return (
        f"start to ready, {label}: median {statistics.median(ready):.2f} s "
        f"(min {min(ready):.2f}, max {max(ready):.2f}); "
        f"node CPU to ready median {statistics.median(cpu):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=5.0)
    parser.add_argument(
        "--bytecode", action="store_true", help="run the node with a private bytecode cache"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        extra_env = {"PYTHONPYCACHEPREFIX": cache} if args.bytecode else {}
        if args.bytecode:
            with tempfile.TemporaryDirectory() as data_dir:
                start_once(data_dir, 0, extra_env)  # compiles into the cache, not measured
        print(f"bytecode: {_bytecode(args.bytecode)}; {load()} before the runs")
        fresh, existing = _measure(args.runs, args.idle, extra_env)
    print(f"{load()} after the runs")
    print(_line("fresh data dir ", fresh))
    print(_line("existing data  ", existing))
    rss = [s.rss_mib for s in fresh + existing]
    print(
        f"idle RSS after {args.idle:.0f} s          : median {statistics.median(rss):.1f} MiB "
        f"(max {max(rss):.1f})"
    )
    result_line(
        "node_start",
        cold_s=statistics.median(s.ready_s for s in fresh),
        warm_s=statistics.median(s.ready_s for s in existing),
        cold_cpu_s=statistics.median(s.cpu_s for s in fresh),
        warm_cpu_s=statistics.median(s.cpu_s for s in existing),
        idle_rss_mib=statistics.median(rss),
    )


if __name__ == "__main__":
    main()
