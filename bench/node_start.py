"""Start-to-ready time and idle RSS of a fresh embedded node.

    .venv/bin/python bench/node_start.py [--runs 3] [--idle 5] [--bytecode]

Each run starts ``industryos run`` on a new data dir (first start: migrations and demo
data), then once more on the same data dir (warm start), polls ``/api/health`` until 200,
lets the node idle and reads its resident memory from /proc.

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

from _common import load, result_line


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_once(data_dir: str, idle_s: float, extra_env: dict[str, str]) -> tuple[float, float]:
    """(seconds to ready, idle RSS in MiB) of one node start."""
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
    started = time.monotonic()
    if "PYTHONPYCACHEPREFIX" in extra_env:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    process = subprocess.Popen([sys.executable, "-m", "industryos.cli", "run"], env=env)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("node exited during start")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.02)
        ready = time.monotonic() - started
        time.sleep(idle_s)
        return ready, rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


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
        cold, warm, rss = _measure(args.runs, args.idle, extra_env)
    print(f"{load()} after the runs")
    print(
        f"start to ready, fresh data dir : median {statistics.median(cold):.2f} s "
        f"(min {min(cold):.2f}, max {max(cold):.2f})"
    )
    print(
        f"start to ready, existing data  : median {statistics.median(warm):.2f} s "
        f"(min {min(warm):.2f}, max {max(warm):.2f})"
    )
    print(
        f"idle RSS after {args.idle:.0f} s          : median {statistics.median(rss):.1f} MiB "
        f"(max {max(rss):.1f})"
    )
    result_line(
        "node_start",
        cold_s=statistics.median(cold),
        warm_s=statistics.median(warm),
        idle_rss_mib=statistics.median(rss),
    )


def _measure(
    runs: int, idle_s: float, extra_env: dict[str, str]
) -> tuple[list[float], list[float], list[float]]:
    """Fresh and existing-data start times and every idle RSS of ``runs`` runs."""
    cold, warm, rss = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as data_dir:
            ready, memory = start_once(data_dir, idle_s, extra_env)
            cold.append(ready)
            rss.append(memory)
            ready, memory = start_once(data_dir, idle_s, extra_env)
            warm.append(ready)
            rss.append(memory)
    return cold, warm, rss


def _bytecode(private_cache: bool) -> str:
    """How the node gets its bytecode under this environment."""
    if private_cache:
        return "private cache (as an installed package)"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return "PYTHONDONTWRITEBYTECODE set: compiled from source unless __pycache__ exists"
    return "written to and read from __pycache__"


if __name__ == "__main__":
    main()
