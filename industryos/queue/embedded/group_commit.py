"""Group commit: many concurrent requests, one blocking flush in a worker thread.

Callers add their work to some pending state owned by the event loop, then ``await
commit.request()``. One runner task takes *all* pending work at once (``take``, on the loop),
runs the blocking flush (``flush``, in a dedicated thread, so the loop keeps serving while the
disk syncs), publishes the result (``done``, on the loop) and resolves the future of every
request the flush covered. While a flush runs, new requests pile up for the next one: the
slower the disk, the bigger the batch, which is what keeps fsyncs per second bounded.

A flush that raises fails its waiters, and the requests waiting behind it, whose work is
dropped. After a failed write or fsync the state of what was written since the last
successful flush is unknown (PostgreSQL's "fsyncgate" lesson: an fsync retried after a
failure may succeed on data the kernel has already dropped), so none of it is trusted: the
owner's ``recover`` puts its files back to their state after the last successful flush
(the work that failed is passed to it) and the runner takes requests again after a pause,
which doubles while flushes keep failing (a full disk would otherwise fail a flush per
request). Without ``recover``, or when it fails too, every later request fails until the
owner is reopened, which runs recovery from the files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from industryos.queue.interface import QueueClosedError, QueueWriteError

log = logging.getLogger(__name__)

W = TypeVar("W")
R = TypeVar("R")

MAX_RETRY_AFTER_S = 30.0
"""The longest pause after a failed flush, however often flushes keep failing."""


class GroupCommit(Generic[W, R]):
    """Coalesces requests into flushes run one at a time in a worker thread."""

    def __init__(
        self,
        name: str,
        take: Callable[[], W],
        flush: Callable[[W], R],
        done: Callable[[R], None],
        recover: Callable[[W], None] | None = None,
        retry_after_s: float = 1.0,
    ) -> None:
        self._name = name
        self._take = take
        self._flush = flush
        self._done = done
        self._recover = recover
        self._first_pause = retry_after_s
        self._pause = retry_after_s
        self._paused_until = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self._failed: BaseException | None = None
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=name)
        self.flushes = 0
        self.failures = 0
        """Flushes that failed (each one failed its requests), for alerting on a full disk."""

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The thread that flushes; other blocking work on the same files may share it."""
        return self._executor

    @property
    def refusing(self) -> bool:
        """True while requests fail at once: after a failed flush, paused or for good."""
        return self._failed is not None or bool(self._paused_until)

    def check(self) -> None:
        """Raise if requests can no longer succeed (closed, or an earlier flush failed)."""
        if self._failed is not None:
            raise QueueWriteError(f"{self._name}: an earlier flush failed") from self._failed
        if self._closing:
            raise QueueClosedError(f"{self._name} is closed")
        if self._paused_until:
            left = self._paused_until - asyncio.get_running_loop().time()
            if left > 0:
                raise QueueWriteError(f"{self._name}: a write failed; retrying in {left:.1f} s")

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
            work: W | None = None
            try:
                work = self._take()
                result = await loop.run_in_executor(self._executor, self._flush, work)
                self._done(result)
            except BaseException as exc:
                self.failures += 1
                self._paused_until = loop.time() + self._pause  # refuse while recovering too
                # back to the last flushed state before anyone hears of the failure
                recovered = (
                    isinstance(exc, Exception)
                    and work is not None
                    and await self._recovered(work, exc)
                )
                if not recovered and self._failed is None:
                    log.error(
                        "%s: flush failed, refusing further requests", self._name, exc_info=exc
                    )
                    self._failed = exc
                self._fail(waiters, exc)
                if not isinstance(exc, Exception):
                    raise
                if not recovered:
                    return
                await self._wait_out_the_pause()
                continue
            self.flushes += 1
            self._pause = self._first_pause
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)

    def _fail(self, waiters: list[asyncio.Future[None]], exc: BaseException) -> None:
        """Fail the flush's waiters and those behind it, whose work is dropped when flushes
        go on (it must not be written after its requests were told it failed)."""
        error = QueueWriteError(f"{self._name}: flush failed: {exc!r}")
        error.__cause__ = exc
        waiters += self._waiters
        self._waiters = []
        for fut in waiters:
            if not fut.done():
                fut.set_exception(error)
        if self._failed is None:
            self._take()

    async def _recovered(self, work: W, exc: Exception) -> bool:
        """Put the files back to their last flushed state; False when that is not possible
        (every later request then fails)."""
        if self._recover is None:
            return False
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._recover, work)
        except Exception as recovery:
            log.error(
                "%s: flush failed (%r) and could not be undone, refusing further requests",
                self._name,
                exc,
                exc_info=recovery,
            )
            self._failed = recovery
            return False
        log.error(
            "%s: flush failed (%r); back to the last flushed state, next try in %.0f s",
            self._name,
            exc,
            self._pause,
        )
        return True

    async def _wait_out_the_pause(self) -> None:
        loop = asyncio.get_running_loop()
        self._paused_until = loop.time() + self._pause
        try:
            while not self._closing and loop.time() < self._paused_until:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._paused_until - loop.time()):
                        await self._wake.wait()
        finally:
            self._paused_until = 0.0
            self._pause = min(self._pause * 2, MAX_RETRY_AFTER_S)

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
