"""Idle MQTT device connections: how fast they connect and what each costs in node RSS.

    .venv/bin/python bench/connections.py [--connections 2000] [--sources 8]
    .venv/bin/python bench/connections.py --connections 100000     # the full run (slow set-up)

Starts an embedded node with a raised open-file limit, creates one device per connection
through the REST API (a device has one session: a second connection with the same token
takes the first one over), reads the node's RSS, then opens every connection (MQTT 3.1.1
CONNECT with the device's token, keep-alive 60 s) from this process, spread over
``--sources`` loopback source addresses 127.0.0.2… (each has its own 64k ephemeral
ports). Prints the connect rate (CONNECT to CONNACK, 256 handshakes at once) and the
node's RSS growth per connection after the connections settled.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

import uvloop
from _common import NodeProcess, Rest, load, raise_nofile, result_line, rss_mib
from _loadgen import Generator


async def _hold(
    port: int, names: list[str], sources: list[str], settle: float, node: int
) -> tuple[float, float]:
    """Connect everything; (seconds to connect, node RSS MiB after settling)."""
    gen = Generator(names, 0.0)
    started = time.monotonic()
    await gen.connect("127.0.0.1", port, sources, 256)
    elapsed = time.monotonic() - started
    await asyncio.sleep(settle)
    rss = rss_mib(node)
    gen.closing = True
    for device in gen.devices:
        device.transport.close()
    await asyncio.sleep(0.5)
    return elapsed, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--sources", type=int, default=8)
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    limit = raise_nofile()
    if limit < args.connections + 1000:
        raise SystemExit(f"open-file limit {limit} is too low for {args.connections} connections")
    print(f"connections: {args.connections} idle, {args.sources} source addresses; {load()}")
    node = NodeProcess().start()
    try:
        node.wait_ready()
        started = time.monotonic()
        names = list(Rest(node.base).create_devices("idle-", args.connections, concurrency=32))
        print(f"  {args.connections} devices created in {time.monotonic() - started:.1f} s")
        gc.collect()
        time.sleep(2.0)
        before = rss_mib(node.pid)
        sources = [f"127.0.0.{2 + i}" for i in range(args.sources)]
        elapsed, after = uvloop.run(_hold(node.mqtt_port, names, sources, args.settle, node.pid))
    finally:
        node.cleanup()
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
