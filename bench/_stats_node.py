"""A node process for benchmarks: ``industryos run`` that prints queue counters on SIGUSR1.

Each SIGUSR1 writes one JSON line ``{"appended", "commits", "fsyncs"}`` to stdout, so a
benchmark can read the counters at the start and the end of its measured window. With
``PYTHONTRACEMALLOC`` set, SIGUSR2 writes the top allocation sites to stderr (``MEM`` lines).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys

import uvloop

from industryos.config import load_settings
from industryos.node import Node


async def main() -> None:
    node = Node(load_settings())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def report() -> None:
        stats = node.queue_stats()
        line = {"appended": 0, "commits": 0, "fsyncs": 0}
        if stats is not None:
            line = {"appended": stats.appended, "commits": stats.commits, "fsyncs": stats.fsyncs}
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()

    def memory() -> None:
        """With PYTHONTRACEMALLOC set: where the live Python memory was allocated."""
        import tracemalloc

        if not tracemalloc.is_tracing():
            return
        stats = tracemalloc.take_snapshot().statistics("lineno")
        for stat in stats[:40]:
            sys.stderr.write(f"MEM {stat.size / 1024:10.1f} KiB {stat.count:8d} {stat.traceback}\n")
        sys.stderr.flush()

    loop.add_signal_handler(signal.SIGUSR1, report)
    loop.add_signal_handler(signal.SIGUSR2, memory)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await node.start()
    try:
        await stop.wait()
    finally:
        await node.stop()


if __name__ == "__main__":
    uvloop.run(main())
