"""Group commit: many concurrent requests, one blocking flush in a worker thread.

Callers add their work to some pending state owned by the event loop, then ``await
commit.request()``. One runner task takes *all* pending work at once (``take``, on the loop),
runs the blocking flush (``flush``, in a dedicated thread, so the loop keeps serving while the
disk syncs), publishes the result (``done``, on the loop) and resolves the future of every
request the flush covered. While a flush runs, new requests pile up for the next one: the
slower the disk, the bigger the batch, which is what keeps fsyncs per second bounded.

A flush that raises fails its waiters and every later request: after a failed write or fsync
the state on disk is unknown (PostgreSQL's "fsyncgate" lesson), so the owner must be reopened,
which runs recovery.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from industryos.queue.interface import QueueClosedError, QueueWriteError

log = logging.getLogger(__name__)

W = TypeVar("W")
R = TypeVar("R")


class GroupCommit(Generic[W, R]):
    """Coalesces requests into flushes run one at a time in a worker thread."""

    def __init__(
        self,
        name: str,
        take: Callable[[], W],
        flush: Callable[[W], R],
        done: Callable[[R], None],
    ) -> None:
        self._name = name
        self._take = take
        self._flush = flush
        self._done = done
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._failed: BaseException | None = None
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=name)
        self.flushes = 0

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The thread that flushes; other blocking work on the same files may share it."""
        return self._executor

    def check(self) -> None:
        """Raise if requests can no longer succeed (closed, or an earlier flush failed)."""
        if self._failed is not None:
            raise QueueWriteError(f"{self._name}: an earlier flush failed") from self._failed
        if self._closing:
            raise QueueClosedError(f"{self._name} is closed")

    def request(self) -> asyncio.Future[None]:
        """A future resolved once a flush that takes the work added so far has completed.

        One small future per request rather than one shared future: cancelling one waiter
        then cancels only its own future (a shared one would fail every other waiter), and
        it is cheaper than ``asyncio.shield`` around a shared one.
        """
        self.check()
        fut = asyncio.get_running_loop().create_future()
        if not self._waiters:
            self._wake.set()
        self._waiters.append(fut)
        return fut

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            waiters, self._waiters = self._waiters, []
            if not waiters:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                work = self._take()
                result = await loop.run_in_executor(self._executor, self._flush, work)
                self._done(result)
            except BaseException as exc:
                log.error("%s: flush failed, refusing further requests", self._name, exc_info=True)
                self._failed = exc
                error = QueueWriteError(f"{self._name}: flush failed: {exc!r}")
                error.__cause__ = exc
                waiters += self._waiters
                self._waiters = []
                for fut in waiters:
                    if not fut.done():
                        fut.set_exception(error)
                if not isinstance(exc, Exception):
                    raise
                return
            self.flushes += 1
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)

    async def close(self) -> None:
        """Flush what is pending, stop the runner and its thread."""
        if not self._closing:
            self._closing = True
            self._wake.set()
        try:
            await self._task
        finally:
            # work submitted to the thread after the last flush (segment deletion) finishes
            await asyncio.to_thread(self._executor.shutdown, wait=True)
