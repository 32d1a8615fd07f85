"""Worker 0's side of the other workers: spawn, release, restart when one dies, stop.

The workers are spawned as soon as the node starts, so they import the code while worker 0
migrates and seeds the database; each then waits to be released (after worker 0 has
started: the schema, the demo data, the JWT secret and the TLS certificate exist by then)
and reports back once it serves. A worker that exits unasked is logged and started again,
after a pause that grows while it keeps dying; its listening sockets stay open in worker 0
meanwhile, so connections the kernel hands them wait in the backlog instead of failing.

Each worker has a control connection to worker 0 (a socket pair): one byte ``G`` releases
it, one byte ``R`` back says it is ready, and its end of file tells the worker that worker
0 is gone (:mod:`.child` then exits at once, as after a crash of the whole node).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from pathlib import Path

from industryos.workers.listeners import Listeners

__all__ = ["WorkerError", "WorkerPool"]

log = logging.getLogger(__name__)

GO = b"G"
READY = b"R"

READY_TIMEOUT_S = 120.0
"""How long a released worker may take to start (a migration ran in worker 0 before)."""
STOP_TIMEOUT_S = 30.0
"""How long a worker may take to stop cleanly before it is killed."""
RESTART_DELAYS_S = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Pauses before restarting a worker that died, growing while it keeps dying."""
STABLE_S = 60.0
"""A worker that served this long before dying is restarted after the first pause again."""


class WorkerError(RuntimeError):
    """A worker could not be started (it exited, or did not report ready in time)."""


class _Worker:
    """One worker process and its control connection."""

    def __init__(self, index: int, listeners: Listeners, command: list[str]) -> None:
        self.index = index
        self._listeners = listeners
        self._command = command
        self.process: asyncio.subprocess.Process | None = None
        self._control: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def spawn(self) -> None:
        """Start the process; it imports, then waits for :meth:`release`."""
        ours, theirs = socket.socketpair()
        try:
            fds = [theirs.fileno(), *(sock.fileno() for sock in self._listeners.sockets())]
            self.process = await asyncio.create_subprocess_exec(
                *self._command,
                "--index",
                str(self.index),
                "--control",
                str(theirs.fileno()),
                "--listeners",
                self._listeners.to_arg(),
                pass_fds=fds,
                stdin=asyncio.subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._control = await asyncio.open_connection(sock=ours)

    async def release(self) -> None:
        """Let it start its node (:meth:`ready` waits until it serves)."""
        assert self._control is not None
        writer = self._control[1]
        writer.write(GO)
        await writer.drain()

    async def ready(self) -> None:
        """Returns once the released worker serves (:class:`WorkerError` otherwise)."""
        assert self._control is not None and self.process is not None
        reader = self._control[0]
        try:
            async with asyncio.timeout(READY_TIMEOUT_S):
                answer = await reader.read(1)
        except TimeoutError:
            raise WorkerError(f"worker {self.index} not ready within {READY_TIMEOUT_S} s") from None
        if answer != READY:
            code = await self.process.wait()
            raise WorkerError(f"worker {self.index} exited with {code} while starting")

    async def stop(self) -> None:
        """SIGTERM, wait for a clean stop, SIGKILL when it takes too long."""
        process = self.process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_TIMEOUT_S):
                    await process.wait()
            except TimeoutError:
                log.error(
                    "worker %d did not stop within %.0f s: killed", self.index, STOP_TIMEOUT_S
                )
                process.kill()
                await process.wait()
        self.close_control()

    def close_control(self) -> None:
        """Drop the control connection (the process has ended)."""
        if self._control is not None:
            self._control[1].close()
            self._control = None


class WorkerPool:
    """Workers 1..N-1 of the node whose worker 0 runs in this process."""

    def __init__(self, listeners: list[Listeners], bus_url: str, config: Path | None) -> None:
        command = [sys.executable, "-m", "industryos.workers", "--bus-url", bus_url]
        if config is not None:
            command += ["--config", str(config)]
        self._workers = [
            _Worker(index, listeners[index], command) for index in range(1, len(listeners))
        ]
        self._watchers: list[asyncio.Task[None]] = []
        self._stopping = False

    async def spawn(self) -> None:
        """Start every worker process (they wait for :meth:`release`)."""
        for worker in self._workers:
            await worker.spawn()

    async def release(self) -> None:
        """Let every worker start its node (the database is migrated and seeded)."""
        for worker in self._workers:
            await worker.release()

    async def ready(self) -> None:
        """Returns once every released worker serves, then restarts any that dies."""
        await asyncio.gather(*(worker.ready() for worker in self._workers))
        loop = asyncio.get_running_loop()
        self._watchers = [
            loop.create_task(self._watch(worker), name=f"watch worker {worker.index}")
            for worker in self._workers
        ]

    async def _watch(self, worker: _Worker) -> None:
        """Restart ``worker`` whenever it exits unasked."""
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            assert worker.process is not None
            started = loop.time()
            code = await worker.process.wait()
            worker.close_control()
            if self._stopping:
                return
            failures = 1 if loop.time() - started > STABLE_S else failures + 1
            pause = RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S)) - 1]
            log.error("worker %d exited with %s; restarting in %.0f s", worker.index, code, pause)
            await asyncio.sleep(pause)
            try:
                await worker.spawn()
                await worker.release()
                await worker.ready()
            except (OSError, WorkerError):
                log.error("worker %d could not be restarted", worker.index, exc_info=True)
            else:
                log.info("worker %d restarted", worker.index)

    async def stop(self) -> None:
        """Stop every worker (cleanly where it can) and the watching."""
        self._stopping = True
        for watcher in self._watchers:
            watcher.cancel()
        for watcher in self._watchers:
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        self._watchers = []
        await asyncio.gather(*(worker.stop() for worker in self._workers))
