"""A node process for benchmarks: ``industryos run`` that prints queue counters on SIGUSR1.

Each SIGUSR1 writes one JSON line ``{"appended", "commits", "fsyncs"}`` to stdout, so a
benchmark can read the counters at the start and the end of its measured window.
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

    loop.add_signal_handler(signal.SIGUSR1, report)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await node.start()
    try:
        await stop.wait()
    finally:
        await node.stop()


if __name__ == "__main__":
    uvloop.run(main())
