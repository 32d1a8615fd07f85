"""Throttled re-evaluation of a live query: at most one run per interval per subscription.

Live counts, dynamic entity pages and alarm pages are re-queried when a change *may* have
touched them (an entity created, an alarm raised, a filtered key written). Changes come in
bursts, so a :class:`Refresher` coalesces them: a poke while idle runs the refresh at once
(or as soon as the interval since the last run has passed), pokes during a run or a wait
collapse into one more run. Pokes before :meth:`start` (while the first page is being
read) are remembered and run right after it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

__all__ = ["Refresher"]

log = logging.getLogger(__name__)


class Refresher:
    """Runs ``refresh`` after pokes, never more often than once per ``interval_s``."""

    def __init__(self, refresh: Callable[[], Awaitable[None]], interval_s: float) -> None:
        self._refresh = refresh
        self._interval_s = interval_s
        self._dirty = False
        self._started = False
        self._closed = False
        self._last = -math.inf
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def poke(self) -> None:
        """Something the query depends on may have changed."""
        self._dirty = True
        if self._started and not self._closed and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run())

    def start(self) -> None:
        """The first result is out: from now on pokes run the refresh."""
        self._started = True
        self._last = asyncio.get_running_loop().time()
        if self._dirty:
            self.poke()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._dirty and not self._closed:
            wait = self._last + self._interval_s - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._dirty = False
            self._last = loop.time()
            self.runs += 1
            try:
                await self._refresh()
            except Exception:
                log.exception("WebSocket live query refresh failed")

    def close(self) -> None:
        """Stop: no refresh runs after this."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
