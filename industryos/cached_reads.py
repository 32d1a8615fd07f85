"""A cache of reads by key in which one read per key is in flight, however many callers ask.

Hot paths keep what they read from storage (a tenant's rate limits, its root chain, its
profile → chain map) and read again when a change makes it stale or its time is up. Without
care, every message that arrives while the value is missing starts a read of its own: after
a restart, a fleet's first messages asked for the same tenant row hundreds of times at once,
and again every time the value expired. Here the first caller starts the read and the others
await the same one.

``forget`` makes the next caller read again; a read that was already under way when a key
was forgotten may have seen the old value, so its result goes to its waiters but is not
kept. A failed read fails its waiters and is not kept either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["CachedReads"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class CachedReads(Generic[K, V]):
    """Values of ``read(key)``, kept ``ttl_s`` seconds (None: until forgotten)."""

    def __init__(
        self,
        read: Callable[[K], Awaitable[V]],
        *,
        ttl_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._ttl_s = ttl_s
        self._clock = clock
        self._values: dict[K, tuple[float, V]] = {}
        self._reads: dict[K, asyncio.Task[V]] = {}
        self._tasks: set[asyncio.Task[V]] = set()
        """Every read still running, forgotten ones too (``close`` waits for them)."""

    def peek(self, key: K) -> V | None:
        """The kept value if it is still fresh, without reading (None otherwise)."""
        kept = self._values.get(key)
        if kept is None or kept[0] <= self._clock():
            return None
        return kept[1]

    async def get(self, key: K) -> V:
        """The kept value, or the result of the read in flight, or of a new read."""
        kept = self._values.get(key)
        if kept is not None and kept[0] > self._clock():
            return kept[1]
        task = self._reads.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._read_and_keep(key))
            self._reads[key] = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    def forget(self, key: K | None = None) -> None:
        """Read ``key`` again on next use (None: every key)."""
        if key is None:
            self._values.clear()
            self._reads.clear()
        else:
            self._values.pop(key, None)
            self._reads.pop(key, None)

    async def close(self) -> None:
        """Wait for the reads still running: one must not outlive its owner's storage (a
        read cut off when the loop closes leaves its database connection unclosed)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _read_and_keep(self, key: K) -> V:
        this = asyncio.current_task()
        try:
            value = await self._read(key)
        finally:
            current = self._reads.get(key) is this
            if current:
                del self._reads[key]
        if current:  # not forgotten while reading: the value is as new as the last change
            until = float("inf") if self._ttl_s is None else self._clock() + self._ttl_s
            self._values[key] = (until, value)
        return value


def _retrieve(task: asyncio.Task[object]) -> None:
    """Mark a failed read's exception retrieved: its waiters may all have been cancelled."""
    if not task.cancelled():
        task.exception()
