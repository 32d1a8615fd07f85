"""Idle MQTT device connections: how fast they connect and what each costs in node RSS.

    .venv/bin/python bench/connections.py [--connections 2000] [--sources 8] [--handshakes 256]
    .venv/bin/python bench/connections.py --connections 100000     # the full run

Starts an embedded node with a raised open-file limit, creates one device per connection
through the REST CSV bulk import (a device has one session: a second connection with the
same token takes the first one over), restarts the node on the same data (so the
set-up's freed heap cannot absorb what the connections cost), reads its RSS, then opens
every connection (MQTT 3.1.1 CONNECT with the device's token, keep-alive 60 s, a PINGREQ
every 30 s while held) from client processes, spread over ``--sources`` loopback source
addresses 127.0.0.2… (each has its own 64k ephemeral ports). Prints the connect rate
and how long each handshake took (TCP connect to CONNACK, ``--handshakes`` in flight at once
in all: a fleet reconnecting together), and the node's RSS growth
per connection once it settled: ``--settle`` seconds, then until RSS stops growing (each
connection's CONNECT and ACTIVITY events run through the rule engine, which keeps
per-device state; a reading taken while that was still under way understated the cost).
The run fails if the node closed any held connection.

Every socket is a descriptor on both sides, and a process may not open more than its
open-file limit (the hard limit is raised where allowed: root with CAP_SYS_RESOURCE; this
machine's containers keep it at 20,000). So unless ``--workers`` / ``--clients`` say
otherwise, the node runs as many worker processes (``INDUSTRYOS_WORKERS``: each accepts its
share of the connections on its own socket, the kernel spreading them) and the
connections are held by as many client processes as the limit requires; node RSS is the
sum over its processes, and each worker's idle baseline is in the reading before.

``--tracemalloc`` runs the node with ``PYTHONTRACEMALLOC=1`` (slower, RSS figures then
include tracemalloc's own cost) and prints, per allocation site, the growth of live
Python memory per connection between the two readings (SIGUSR2, ``MEM`` lines).
"""

from __future__ import annotations

import argparse
import math
import re
import resource
import shutil
import signal
import time
from pathlib import Path

import httpx
from _common import NodeProcess, Rest, load, raise_nofile, result_line, rss_mib
from _loadgen import HANDSHAKES, hold_connections


def _settled_rss(node: NodeProcess, limit_s: float = 180.0) -> float:
    """The node's RSS once it stops growing (the connections' first events have gone
    through the rule engine, which keeps per-device state): three readings a second apart
    within 0.5 MiB of each other, or whatever it is after ``limit_s``."""
    started = time.monotonic()
    readings = [rss_mib(node.pid)]
    while time.monotonic() - started < limit_s:
        time.sleep(1.0)
        readings.append(rss_mib(node.pid))
        last = readings[-3:]
        if len(last) == 3 and max(last) - min(last) < 0.5:
            break
    print(f"  RSS settled after {time.monotonic() - started:.0f} s more")
    return readings[-1]


def _processes_for(connections: int, limit: int, kept: int) -> int:
    """Processes needed to hold ``connections`` sockets when each may open ``limit``
    descriptors and needs ``kept`` of them for everything else."""
    return max(1, math.ceil(connections / max(1000, limit - kept)))


_NODE_DESCRIPTORS = 2000
"""Descriptors a node worker keeps for other things than device connections (database,
queue segments, listeners, bus), with room for the kernel's uneven spread of connections
over the workers' sockets."""
_CLIENT_DESCRIPTORS = 1000
_IMPORT_BATCH = 10_000
_MEM_SITES = 40
"""How many sites ``_stats_node.py`` prints per SIGUSR2."""
_MEM_LINE = re.compile(r"MEM\s+([\d.]+) KiB\s+(\d+) (.*)")


def _raise_hard_nofile(wanted: int) -> None:
    """Lift the hard open-file limit (root only; the node inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, wanted))
        except (ValueError, OSError) as exc:
            print(f"  hard open-file limit stays {hard}: {exc}")


def _create_devices(rest: Rest, prefix: str, count: int) -> list[str]:
    """``count`` devices named and tokened ``{prefix}{i}``, by CSV bulk import."""
    mapping = {
        "columns": [{"type": "NAME"}, {"type": "ACCESS_TOKEN"}],
        "delimiter": ",",
        "update": False,
        "header": False,
    }
    names = [f"{prefix}{i}" for i in range(count)]
    for start in range(0, count, _IMPORT_BATCH):
        batch = names[start : start + _IMPORT_BATCH]
        body = {"file": "\n".join(f"{n},{n}" for n in batch), "mapping": mapping}
        response = httpx.post(
            f"{rest.base}/api/device/bulk_import", json=body, headers=rest.headers, timeout=600
        )
        response.raise_for_status()
        if response.json()["created"] != len(batch):
            raise SystemExit(f"bulk import: {response.json()}")
    return names


def _memory(node: NodeProcess) -> dict[str, float]:
    """The node's top allocation sites (KiB by site), after a SIGUSR2."""
    log = node.data_dir / "node.log"
    offset = log.stat().st_size
    assert node.process is not None
    node.process.send_signal(signal.SIGUSR2)
    sites: dict[str, float] = {}
    deadline = time.monotonic() + 120.0
    while len(sites) < _MEM_SITES and time.monotonic() < deadline:
        time.sleep(1.0)
        with Path(log).open(errors="replace") as stream:
            stream.seek(offset)
            for line in stream:
                match = _MEM_LINE.match(line)
                if match:
                    sites[match.group(3)] = float(match.group(1))
    return sites


def _print_growth(before: dict[str, float], after: dict[str, float], connections: int) -> None:
    """Allocation sites that grew, in bytes per connection (sites outside a top-40 read 0)."""
    growth = {site: after[site] - before.get(site, 0.0) for site in after}
    print("  tracemalloc growth per connection (bytes, top sites):")
    for site, kib in sorted(growth.items(), key=lambda item: -item[1])[:25]:
        if kib > 0:
            print(f"    {kib * 1024 / connections:8.1f}  {site}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="the node's worker processes; 0: as many as the open-file limit requires",
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="processes holding the connections; 0: as many as the open-file limit requires",
    )
    parser.add_argument(
        "--handshakes",
        type=int,
        default=HANDSHAKES,
        help="connection handshakes in flight at once, over all client processes",
    )
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--keep-log", default=None, help="copy the node's log here at the end")
    args = parser.parse_args()
    _raise_hard_nofile(2 * args.connections + 10_000)
    limit = raise_nofile()
    workers = args.workers or _processes_for(args.connections, limit, _NODE_DESCRIPTORS)
    clients = args.clients or _processes_for(args.connections, limit, _CLIENT_DESCRIPTORS)
    print(
        f"connections: {args.connections} idle, {args.sources} source addresses, "
        f"node of {workers} worker process(es), {clients} client process(es) "
        f"(open-file limit {limit}); {load()}"
    )
    setup = NodeProcess().start()
    try:
        setup.wait_ready()
        started = time.monotonic()
        names = _create_devices(Rest(setup.base), "idle-", args.connections)
        print(f"  {args.connections} devices created in {time.monotonic() - started:.1f} s")
        setup.stop()  # a fresh node: the import's freed heap would hide connections' growth
        extra_env = {"PYTHONTRACEMALLOC": "1"} if args.tracemalloc else {}
        if workers > 1:
            extra_env["INDUSTRYOS_WORKERS"] = str(workers)
        node = NodeProcess(setup.data_dir, extra_env=extra_env).start()
        try:
            node.wait_ready(timeout=300)
            time.sleep(args.settle)
            memory_before = _memory(node) if args.tracemalloc else {}
            before = rss_mib(node.pid)

            def measure() -> tuple[float, dict[str, float]]:
                time.sleep(args.settle)
                rss = _settled_rss(node)
                return rss, (_memory(node) if args.tracemalloc else {})

            held = hold_connections(
                "127.0.0.1",
                node.mqtt_port,
                names,
                sources=[f"127.0.0.{2 + i}" for i in range(args.sources)],
                processes=clients,
                while_held=measure,
                handshakes=args.handshakes,
            )
            after, memory_after = held.measured
            if args.tracemalloc:
                _print_growth(memory_before, memory_after, args.connections)
        finally:
            node.stop()
    finally:
        if args.keep_log:
            shutil.copy(setup.data_dir / "node.log", args.keep_log)
        setup.cleanup()
    if held.dropped:
        raise SystemExit(f"the node closed {held.dropped} of the idle connections while held")
    rate = args.connections / held.connect_s
    per_kib = (after - before) * 1024 / args.connections
    handshakes = held.handshakes_ms
    p10, p50, p99 = (handshakes[int(q * (len(handshakes) - 1))] for q in (0.1, 0.5, 0.99))
    print(
        f"{args.connections} connections in {held.connect_s:.1f} s ({rate:.0f}/s; CONNACK "
        f"p10 {p10:.0f} ms, p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {handshakes[-1]:.0f} ms); "
        f"node RSS {before:.0f} → {after:.0f} MiB: {per_kib:.1f} KiB per connection; {load()}"
    )
    result_line(
        "connections",
        connections=args.connections,
        workers=workers,
        connect_per_s=rate,
        connack_p10_ms=p10,
        connack_p50_ms=p50,
        connack_p99_ms=p99,
        connack_max_ms=handshakes[-1],
        rss_before_mib=before,
        rss_after_mib=after,
        kib_per_connection=per_kib,
    )


if __name__ == "__main__":
    main()
