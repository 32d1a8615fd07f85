"""Idle MQTT device connections: how fast they connect and what each costs in node RSS.

    .venv/bin/python bench/connections.py [--connections 2000] [--sources 8]
    .venv/bin/python bench/connections.py --connections 100000     # the full run

The node and this process each hold one socket per connection, so the full run needs an
open-file hard limit above the connection count: the hard limit is raised too, which
root may do only with CAP_SYS_RESOURCE; without it the run stops with the limit found.

Starts an embedded node with a raised open-file limit, creates one device per connection
through the REST CSV bulk import (a device has one session: a second connection with the
same token takes the first one over), restarts the node on the same data (so the
set-up's freed heap cannot absorb what the connections cost), reads its RSS, then opens
every connection (MQTT 3.1.1 CONNECT with the device's token, keep-alive 60 s) from this
process, spread over
``--sources`` loopback source addresses 127.0.0.2… (each has its own 64k ephemeral
ports). Prints the connect rate (CONNECT to CONNACK, 256 handshakes at once) and the
node's RSS growth per connection once it settled: ``--settle`` seconds, then until RSS
stops growing (each connection's CONNECT and ACTIVITY events run through the rule engine,
which keeps per-device state; a reading taken while that was still under way understated
the cost).

``--tracemalloc`` runs the node with ``PYTHONTRACEMALLOC=1`` (slower, RSS figures then
include tracemalloc's own cost) and prints, per allocation site, the growth of live
Python memory per connection between the two readings (SIGUSR2, ``MEM`` lines).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import signal
import time
from pathlib import Path

import httpx
import uvloop
from _common import NodeProcess, Rest, load, raise_nofile, result_line, rss_mib
from _loadgen import Generator


async def _hold(
    port: int,
    names: list[str],
    sources: list[str],
    settle: float,
    node: NodeProcess,
    trace: bool,
) -> tuple[float, float, dict[str, float]]:
    """Connect everything; (seconds to connect, node RSS MiB after settling, memory sites)."""
    gen = Generator(names, 0.0)
    started = time.monotonic()
    await gen.connect("127.0.0.1", port, sources, 256)
    elapsed = time.monotonic() - started
    await asyncio.sleep(settle)
    rss = await _settled_rss(node)
    memory = await asyncio.to_thread(_memory, node) if trace else {}
    gen.closing = True
    for device in gen.devices:
        device.transport.close()
    await asyncio.sleep(0.5)
    return elapsed, rss, memory


async def _settled_rss(node: NodeProcess, limit_s: float = 180.0) -> float:
    """The node's RSS once it stops growing (the connections' first events have gone
    through the rule engine, which keeps per-device state): three readings a second apart
    within 0.5 MiB of each other, or whatever it is after ``limit_s``."""
    started = time.monotonic()
    readings = [rss_mib(node.pid)]
    while time.monotonic() - started < limit_s:
        await asyncio.sleep(1.0)
        readings.append(rss_mib(node.pid))
        last = readings[-3:]
        if len(last) == 3 and max(last) - min(last) < 0.5:
            break
    print(f"  RSS settled after {time.monotonic() - started:.0f} s more")
    return readings[-1]


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
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    _raise_hard_nofile(2 * args.connections + 10_000)
    limit = raise_nofile()
    if limit < args.connections + 1000:
        raise SystemExit(f"open-file limit {limit} is too low for {args.connections} connections")
    print(f"connections: {args.connections} idle, {args.sources} source addresses; {load()}")
    setup = NodeProcess().start()
    try:
        setup.wait_ready()
        started = time.monotonic()
        names = _create_devices(Rest(setup.base), "idle-", args.connections)
        print(f"  {args.connections} devices created in {time.monotonic() - started:.1f} s")
        setup.stop()  # a fresh node: the import's freed heap would hide connections' growth
        extra_env = {"PYTHONTRACEMALLOC": "1"} if args.tracemalloc else None
        node = NodeProcess(setup.data_dir, extra_env=extra_env).start()
        try:
            node.wait_ready(timeout=300)
            time.sleep(args.settle)
            memory_before = _memory(node) if args.tracemalloc else {}
            before = rss_mib(node.pid)
            sources = [f"127.0.0.{2 + i}" for i in range(args.sources)]
            hold = _hold(node.mqtt_port, names, sources, args.settle, node, args.tracemalloc)
            elapsed, after, memory_after = uvloop.run(hold)
            if args.tracemalloc:
                _print_growth(memory_before, memory_after, args.connections)
        finally:
            node.stop()
    finally:
        setup.cleanup()
    rate = args.connections / elapsed
    per_kib = (after - before) * 1024 / args.connections
    print(
        f"{args.connections} connections in {elapsed:.1f} s ({rate:.0f}/s); node RSS "
        f"{before:.0f} → {after:.0f} MiB: {per_kib:.1f} KiB per connection; {load()}"
    )
    result_line(
        "connections",
        connections=args.connections,
        connect_per_s=rate,
        rss_before_mib=before,
        rss_after_mib=after,
        kib_per_connection=per_kib,
    )


if __name__ == "__main__":
    main()
