"""A bus subscriber's bookkeeping, shared by the in-process and the local bus.

Both buses hand a payload to a subscription's own inbox and return; a task per subscription
feeds its handler one payload at a time, in order, so a handler never runs inside the call
that delivered it and one slow handler delays only its own subscription. Both keep their
subscribers (and servers, and the local broker its clients) in subject → members tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TypeVar

from industryos.queue.bus.interface import Handler

__all__ = ["HandlerInbox", "remove_member"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class HandlerInbox:
    """One subscription: an inbox and the task that feeds its handler, in order."""

    def __init__(
        self, subject: str, handler: Handler, forget: Callable[[HandlerInbox], None]
    ) -> None:
        self.subject = subject
        self._handler = handler
        self._forget = forget
        """Called once closing starts: the bus drops the subscription."""
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"bus {subject}")

    def deliver(self, payload: bytes) -> None:
        """Queue ``payload`` for the handler (never waits)."""
        self._inbox.put_nowait(payload)

    async def _run(self) -> None:
        while True:
            payload = await self._inbox.get()
            try:
                await self._handler(payload)
            except Exception:
                log.error("bus handler of %s failed", self.subject, exc_info=True)

    async def close(self) -> None:
        """Unsubscribe; payloads not yet handled are dropped."""
        self._forget(self)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def remove_member(table: dict[str, list[T]], subject: str, member: T) -> bool:
    """Remove ``member`` from ``table[subject]``; whether that left the subject with none."""
    members = table.get(subject)
    if members is None or member not in members:
        return False
    members.remove(member)
    if members:
        return False
    del table[subject]
    return True
