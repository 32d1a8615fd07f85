"""Worker 0: the process ``industryos run`` starts when the node has several workers.

It binds the shared listening sockets, starts the bus the workers talk over (a
:class:`~industryos.queue.bus.LocalBusBroker` on a Unix socket in the data dir, unless the
node is configured with a cluster bus, which then joins every worker of every node), spawns
the other workers and serves as a node itself, releasing them once it has migrated and
seeded the database (it also makes the JWT secret and the self-signed TLS certificate
before any worker starts, so no two of them race to create these files). The node is
ready, and says so in its ``node ready`` line, once every worker serves. SIGTERM or SIGINT
stops the other workers first, then worker 0.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from industryos.config import Settings, resolve_jwt_secret
from industryos.transport.mqtt.tls import SELF_SIGNED_DIR, ensure_self_signed
from industryos.workers.listeners import bind_listeners
from industryos.workers.pool import WorkerPool

if TYPE_CHECKING:
    from industryos.node import Node
    from industryos.queue.bus import LocalBusBroker

__all__ = ["bus_socket_path", "run_workers"]

log = logging.getLogger(__name__)

_MAX_SOCKET_PATH = 100
"""Unix socket paths longer than this (the limit is 104 to 108 bytes) go to the temp dir."""


def bus_socket_path(data_dir: Path) -> Path:
    """Where a node's workers meet: ``bus.sock`` in its data dir, or, when that path is too
    long for a Unix socket, a name derived from it in the temporary directory."""
    path = (data_dir / "bus.sock").resolve()
    if len(str(path).encode()) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"industryos-{digest}.sock"


async def run_workers(node_class: type[Node], settings: Settings, config: Path | None) -> None:
    """Run the node as ``settings.workers`` processes until SIGTERM or SIGINT."""
    listeners = bind_listeners(settings, settings.workers)
    # files every worker reads, made once before any of them could race to make them
    resolve_jwt_secret(settings)
    if settings.mqtt_tls_cert is None:
        ensure_self_signed(settings.data_dir / SELF_SIGNED_DIR)
    broker: LocalBusBroker | None = None
    bus_url = settings.bus_url
    if not bus_url:
        from industryos.queue.bus import LocalBusBroker

        path = bus_socket_path(settings.data_dir)
        path.parent.mkdir(parents=True, exist_ok=True)
        broker = await LocalBusBroker.start(str(path))
        bus_url = f"unix://{path}"
    pool = WorkerPool(listeners, bus_url, config)
    try:
        await pool.spawn()
        node = node_class(
            settings.model_copy(update={"bus_url": bus_url}),
            worker=0,
            listeners=listeners[0],
            after_seed=pool.release,
            before_ready=pool.ready,
        )
        log.info("starting %d workers (bus %s)", settings.workers, bus_url)
        await node.run_until_signalled(before_stop=pool.stop)
    finally:
        await pool.stop()
        if broker is not None:
            await broker.close()
        for each in listeners:
            each.close()
