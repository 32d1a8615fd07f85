"""Worker 0's side of the other workers: spawn, release, restart when one dies, stop.

The workers are spawned before worker 0 imports the node, so every process imports the
code at once (one core each). Each then waits to be released: at once when the database
is already migrated and seeded, else once worker 0 has done that (the schema, the demo
data, the JWT secret and the TLS certificate exist by then), and reports back once it
serves. A worker that exits unasked, or fails to start, is logged and started again after
a pause that grows while it keeps dying; its listening sockets stay open in worker 0
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
import subprocess
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
    """One worker process and worker 0's end of its control connection."""

    def __init__(self, index: int, listeners: Listeners, command: list[str]) -> None:
        self.index = index
        self._listeners = listeners
        self._command = command
        self.process: subprocess.Popen[bytes] | None = None
        self._socket: socket.socket | None = None
        self._control: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._released = False

    def spawn(self) -> None:
        """Start the process (no event loop needed); it imports, then waits for release."""
        ours, theirs = socket.socketpair()
        try:
            fds = [theirs.fileno(), *(sock.fileno() for sock in self._listeners.sockets())]
            self.process = subprocess.Popen(
                [
                    *self._command,
                    *("--index", str(self.index)),
                    *("--control", str(theirs.fileno())),
                    *("--listeners", self._listeners.to_arg()),
                ],
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._socket = ours
        self._released = False

    async def release(self) -> None:
        """Let it start its node, once (:meth:`ready` waits until it serves)."""
        if self._released:
            return
        self._released = True
        writer = (await self._connection())[1]
        writer.write(GO)
        await writer.drain()

    async def ready(self) -> None:
        """Returns once the released worker serves (:class:`WorkerError` otherwise)."""
        reader = (await self._connection())[0]
        try:
            async with asyncio.timeout(READY_TIMEOUT_S):
                answer = await reader.read(1)
        except TimeoutError:
            raise WorkerError(f"worker {self.index} not ready within {READY_TIMEOUT_S} s") from None
        if answer != READY:
            code = await self.exited()
            raise WorkerError(f"worker {self.index} exited with {code} while starting")

    async def exited(self) -> int:
        """The exit status, once the process has ended."""
        assert self.process is not None
        return await asyncio.to_thread(self.process.wait)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._control is None:
            assert self._socket is not None, "spawn first"
            self._control = await asyncio.open_connection(sock=self._socket)
            self._socket = None
        return self._control

    def kill(self) -> None:
        """SIGKILL (a worker that did not start; its watcher starts it again)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()

    async def stop(self) -> None:
        """SIGTERM, wait for a clean stop, SIGKILL when it takes too long."""
        process = self.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.error(
                    "worker %d did not stop within %.0f s: killed", self.index, STOP_TIMEOUT_S
                )
                process.kill()
                await self.exited()
        self.close_control()

    def close_control(self) -> None:
        """Drop the control connection (the process has ended, or worker 0 is leaving: a
        worker still running then sees end of file and exits)."""
        if self._control is not None:
            self._control[1].close()
            self._control = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None


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

    def spawn(self) -> None:
        """Start every worker process (they import, then wait for :meth:`release`)."""
        for worker in self._workers:
            worker.spawn()

    async def release(self) -> None:
        """Let every worker start its node (the database is migrated and seeded); a
        worker already released is not released again."""
        for worker in self._workers:
            await worker.release()

    async def ready(self) -> None:
        """Returns once every released worker serves or failed to start (logged; a worker
        that failed is started again like one that dies), then restarts any that dies."""
        outcomes = await asyncio.gather(
            *(worker.ready() for worker in self._workers), return_exceptions=True
        )
        for worker, outcome in zip(self._workers, outcomes, strict=True):
            if isinstance(outcome, WorkerError):
                log.error("%s; it is started again", outcome)
                worker.kill()
            elif isinstance(outcome, BaseException):
                raise outcome
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
            started = loop.time()
            code = await worker.exited()
            worker.close_control()
            if self._stopping:
                return
            failures = 1 if loop.time() - started > STABLE_S else failures + 1
            pause = RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S)) - 1]
            log.error("worker %d exited with %s; restarting in %.0f s", worker.index, code, pause)
            await asyncio.sleep(pause)
            try:
                worker.spawn()
                await worker.release()
                await worker.ready()
            except (OSError, WorkerError) as exc:
                log.error("worker %d could not be restarted: %s", worker.index, exc)
                worker.kill()
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

    def abandon(self) -> None:
        """Worker 0 is leaving without a clean stop: close the control connections, so
        every worker still running exits (end of file) instead of serving on alone."""
        for worker in self._workers:
            worker.close_control()
