"""Keep-alive deadlines of every session on one timer (a hashed wheel of deadline buckets).

A timer handle per session costs a few hundred bytes of loop state for each idle device
(uvloop allocates a libuv timer per handle) and a re-arm on every packet. Here a session
only records when it last heard from its client (a float); the wheel holds it in the
bucket of its deadline, and one ``loop.call_at`` handle fires for the earliest bucket.
When a bucket fires, each session in it checks its real idle time and either closes or
goes into the bucket of its new deadline, so a busy session is touched once per
keep-alive period, not once per packet.

Buckets are ``granularity`` wide (the session chooses: about 1/64 of its limit, between
10 ms and 1 s), so a silent client is closed at most that much after its limit.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from typing import Protocol

__all__ = ["KeepAliveWheel", "Watched", "granularity_ms"]


class Watched(Protocol):
    """What the wheel calls when a deadline bucket comes due."""

    def keep_alive_due(self) -> None:
        """Check the real idle time: close, or :meth:`KeepAliveWheel.add` again."""


def granularity_ms(limit: float) -> int:
    """The bucket width for a keep-alive limit of ``limit`` seconds."""
    return min(1000, max(10, int(limit * 1000 / 64)))


class KeepAliveWheel:
    """Deadline buckets of watched sessions, fired by one timer handle."""

    __slots__ = ("_armed", "_buckets", "_handle", "_loop", "_ticks")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._buckets: dict[int, set[Watched]] = {}
        """Bucket end (loop time, ms) → the sessions whose deadline falls in it."""
        self._ticks: list[int] = []
        """Heap of bucket ends; a removed bucket's end stays until it comes up."""
        self._handle: asyncio.TimerHandle | None = None
        self._armed: int | None = None

    @property
    def watched(self) -> int:
        """How many sessions wait for a deadline (not ``__len__``: an empty wheel is a wheel)."""
        return sum(len(bucket) for bucket in self._buckets.values())

    def add(self, item: Watched, deadline: float, granularity: int) -> int:
        """Call ``item.keep_alive_due()`` at ``deadline`` (loop time) or up to one bucket
        later; returns the bucket, for :meth:`remove`."""
        tick = math.ceil(deadline * 1000 / granularity) * granularity
        bucket = self._buckets.get(tick)
        if bucket is None:
            bucket = self._buckets[tick] = set()
            heapq.heappush(self._ticks, tick)
            if self._armed is None or tick < self._armed:
                self._arm(tick)
        bucket.add(item)
        return tick

    def remove(self, item: Watched, tick: int) -> None:
        """Forget ``item`` (added for bucket ``tick``)."""
        bucket = self._buckets.get(tick)
        if bucket is not None:
            bucket.discard(item)
            if not bucket:
                del self._buckets[tick]

    def _arm(self, tick: int) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._armed = tick
        self._handle = self._loop.call_at(tick / 1000, self._fire)

    def _fire(self) -> None:
        self._handle = self._armed = None
        now = self._loop.time() * 1000 + 1  # call_at may run a hair early
        ticks, buckets = self._ticks, self._buckets
        due: list[set[Watched]] = []
        while ticks and ticks[0] <= now:
            bucket = buckets.pop(heapq.heappop(ticks), None)
            if bucket:
                due.append(bucket)
        while ticks and ticks[0] not in buckets:  # ends of buckets emptied by remove()
            heapq.heappop(ticks)
        if ticks:
            self._arm(ticks[0])
        for bucket in due:  # re-added items land in later buckets, fired by a later call
            for item in bucket:
                item.keep_alive_due()
