"""A session's bounded outgoing queue: a slow client is dropped, never buffered without end.

Listeners put ready JSON text here synchronously (no awaiting on the write path); one
writer task per session sends it. When ``max_pending`` messages wait because the client
does not read (the transport is paused, so ``send`` blocks), the outbox overflows: it
discards what it holds, stops accepting, and sets :attr:`overflowed` so the session
closes the socket with 1008 "Max pending updates limit reached!" (ThingsBoard's text).
Memory per session is therefore bounded by ``max_pending`` messages plus the transport's
write buffer.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["Outbox"]


class Outbox:
    """Pending messages of one session and the loop that sends them in order."""

    def __init__(self, send: Callable[[str], Awaitable[None]], max_pending: int) -> None:
        self._send = send
        self._max_pending = max_pending
        self._pending: deque[str] = deque()
        self._wake = asyncio.Event()
        self.overflowed = asyncio.Event()
        self.sent = 0

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, text: str) -> bool:
        """Queue ``text``; False (and overflow) when the client is too far behind."""
        if self.overflowed.is_set():
            return False
        if len(self._pending) >= self._max_pending:
            self._pending.clear()
            self.overflowed.set()
            return False
        self._pending.append(text)
        self._wake.set()
        return True

    async def run(self) -> None:
        """Send queued messages until cancelled or overflowed."""
        pending = self._pending
        while not self.overflowed.is_set():
            await self._wake.wait()
            self._wake.clear()
            while pending and not self.overflowed.is_set():
                await self._send(pending.popleft())
                self.sent += 1
