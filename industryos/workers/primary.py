"""Worker 0: the process ``industryos run`` starts when the node has several workers.

Before it imports the node, it binds the shared listening sockets and spawns the other
workers, so all of them import at once. Then it starts the bus the workers talk over (a
:class:`~industryos.queue.bus.LocalBusBroker` on a Unix socket in the data dir, unless the
node is configured with a cluster bus, which then joins every worker of every node), makes
the files every worker reads (the JWT secret, the self-signed TLS certificate) so no two
race to create them, and serves as a node itself. It releases the other workers at once
when the database is already migrated and seeded, else once its own start has done that.
The node is ready, and says so in its ``node ready`` line, once every worker serves.
SIGTERM or SIGINT stops the other workers first, then worker 0.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from industryos.config import Settings, resolve_jwt_secret
from industryos.workers.listeners import Listeners, bind_listeners
from industryos.workers.pool import WorkerPool

if TYPE_CHECKING:
    from industryos.node import Node

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


def run_workers(
    settings: Settings, config: Path | None, load_node: Callable[[], type[Node]] | None = None
) -> None:
    """Run the node as ``settings.workers`` processes until SIGTERM or SIGINT
    (``load_node``: imports worker 0's node class once the others are spawned; the
    node's own import by default)."""
    listeners = bind_listeners(settings, settings.workers)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    bus_url = settings.bus_url or f"unix://{bus_socket_path(settings.data_dir)}"
    pool = WorkerPool(listeners, bus_url, config)
    try:
        pool.spawn()
        if load_node is None:
            from industryos.cli import import_node

            load_node = import_node
        node_class = load_node()
        serving = _serve(
            node_class, settings.model_copy(update={"bus_url": bus_url}), listeners, pool
        )
        try:
            import uvloop
        except ImportError:
            asyncio.run(serving)
        else:
            uvloop.run(serving)
    finally:
        pool.abandon()
        for each in listeners:
            each.close()


async def _serve(
    node_class: type[Node], settings: Settings, listeners: list[Listeners], pool: WorkerPool
) -> None:
    from industryos.queue.bus import LocalBusBroker
    from industryos.transport.mqtt.tls import SELF_SIGNED_DIR, ensure_self_signed

    broker = None
    if settings.bus_url.startswith("unix://"):
        broker = await LocalBusBroker.start(settings.bus_url.removeprefix("unix://"))
    try:
        resolve_jwt_secret(settings)
        if settings.mqtt_tls_cert is None:
            ensure_self_signed(settings.data_dir / SELF_SIGNED_DIR)
        if await _database_prepared(settings):
            await pool.release()  # nothing for worker 0 to migrate or seed first
        node = node_class(
            settings,
            worker=0,
            listeners=listeners[0],
            after_seed=pool.release,
            before_ready=pool.ready,
        )
        log.info("starting %d workers (bus %s)", settings.workers, settings.bus_url)
        await node.run_until_signalled(before_stop=pool.stop)
    finally:
        await pool.stop()
        if broker is not None:
            await broker.close()


async def _database_prepared(settings: Settings) -> bool:
    """Whether the database is at the migrations' heads and has its first users (so no
    worker would migrate or seed it: they may all start at once)."""
    import sqlalchemy as sa

    from industryos.storage.engine import check_reachable, create_engine
    from industryos.storage.migrate import at_heads
    from industryos.storage.schema import user

    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine)
        if not await at_heads(engine):
            return False
        async with engine.connect() as conn:
            found = await conn.execute(sa.select(user.c.id).limit(1))
            return found.first() is not None
    finally:
        await engine.dispose()
