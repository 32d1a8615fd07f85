"""A worker other than worker 0: ``python -m industryos.workers`` as :mod:`.pool` spawns it.

It loads the same settings as worker 0 (same environment, same ``--config`` file), with the
bus worker 0 chose, imports the node, then waits on its control connection: released, it
starts its node on the listening sockets it inherited and reports ready; once worker 0 is
gone (end of file on the control connection: it crashed or was killed) it exits at once, as
the whole node would have, and what it acknowledged is replayed from its durable queue on
the next start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from industryos.config import ConfigError, load_settings
from industryos.logs import configure_logging
from industryos.workers.listeners import Listeners
from industryos.workers.pool import GO, READY

__all__ = ["main"]

log = logging.getLogger(__name__)

ORPHANED_EXIT = 70
"""Exit status of a worker whose worker 0 is gone."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m industryos.workers", description=__doc__)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--control", type=int, required=True, help="control socket descriptor")
    parser.add_argument("--listeners", required=True, help="http=FD,mqtt=FD,mqtt_tls=FD")
    parser.add_argument("--bus-url", required=True)
    parser.add_argument("--config", type=Path)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of a spawned worker."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(args.config, bus_url=args.bus_url)
    except ConfigError as exc:
        print(f"industryos worker {args.index}: {exc}", file=sys.stderr)
        return 2
    configure_logging(
        settings.log_level, f"%(asctime)s %(levelname)s [worker {args.index}] %(name)s: %(message)s"
    )
    from industryos.cli import import_node  # the node's import, as worker 0 does it

    node_class = import_node()
    control = socket.socket(fileno=args.control)
    if control.recv(1) != GO:
        return ORPHANED_EXIT  # worker 0 went away before releasing this worker
    control.setblocking(False)
    listeners = Listeners.from_arg(args.listeners)
    node = node_class(
        settings,
        worker=args.index,
        listeners=listeners,
        before_ready=lambda: _report_ready(control),
    )

    async def serve() -> None:
        asyncio.get_running_loop().add_reader(control.fileno(), _exit_if_orphaned, control)
        await node.run_until_signalled()

    import uvloop

    uvloop.run(serve())
    return 0


async def _report_ready(control: socket.socket) -> None:
    await asyncio.get_running_loop().sock_sendall(control, READY)


def _exit_if_orphaned(control: socket.socket) -> None:
    """Worker 0 is gone (the control connection ended): stop serving at once."""
    try:
        data = control.recv(1, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return
    if not data:
        log.error("worker 0 is gone; exiting")
        logging.shutdown()
        os._exit(ORPHANED_EXIT)
