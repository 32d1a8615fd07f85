"""Time limits for many concurrent tasks from one sweeping timer.

Every message in a rule chain has a time limit (the queue's ``timeout_s``). ``asyncio.timeout``
per message schedules and cancels a loop timer and builds a context manager each time,
which was several per cent of the engine's CPU at thousands of messages per second. A
:class:`Deadlines` instead keeps ``task → deadline`` in a dict and one task sweeps it a few
times per limit, cancelling the tasks that ran over (so a limit fires up to one sweep
interval late, at most a tenth of the limit and never more than 0.1 s).

A task that was cancelled this way sees :class:`asyncio.CancelledError`; the owner asks
:meth:`Deadlines.expired` whether the cancel was the deadline's (then it is a timeout)
or someone else's (stop: re-raise), as ``asyncio.timeout`` does with ``uncancel``.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Deadlines"]

_MAX_TICK_S = 0.1


class Deadlines:
    """``task → deadline`` for tasks that run under one time limit."""

    def __init__(self, limit_s: float) -> None:
        if limit_s <= 0:
            raise ValueError("limit_s must be positive")
        self.limit_s = limit_s
        self._tick = min(_MAX_TICK_S, limit_s / 10)
        self._due: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._sweeper: asyncio.Task[None] | None = None

    def enter(self, task: asyncio.Task[object]) -> None:
        """``task`` starts work that must end within the limit."""
        loop = asyncio.get_running_loop()
        self._due[task] = loop.time() + self.limit_s
        if self._sweeper is None:
            self._sweeper = loop.create_task(self._sweep(), name="deadline-sweeper")

    def leave(self, task: asyncio.Task[object]) -> None:
        """``task`` ended that work (in time or not)."""
        self._due.pop(task, None)
        if task in self._expired:  # cancelled by the sweep, but the work ended anyway
            self._expired.discard(task)
            task.uncancel()

    def expired(self, task: asyncio.Task[object]) -> bool:
        """Called on CancelledError: True if it was this limit (and no other cancel is due)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() == 0

    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._tick)
            if not self._due:  # idle: the next enter() starts a new sweeper
                self._sweeper = None
                return
            now = loop.time()
            late = [task for task, deadline in self._due.items() if deadline <= now]
            for task in late:
                del self._due[task]
                if not task.done():
                    self._expired.add(task)
                    task.cancel()

    async def close(self) -> None:
        """Stop sweeping (the owner has stopped its tasks)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        self._due.clear()
        self._expired.clear()
