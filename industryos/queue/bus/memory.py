"""The in-process bus of an embedded or single node: every subscriber is in this process.

A publish hands the payload to each subscription's own inbox and returns; a task per
subscription drains its inbox in order, so a handler never runs inside the publisher's call
(as with a network bus) and one slow handler delays only its own subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from industryos.queue.bus.interface import BusError, Handler, check_subject

__all__ = ["InProcessBus"]

log = logging.getLogger(__name__)


class _Subscription:
    """One subscriber: an inbox and the task that feeds its handler."""

    def __init__(self, bus: InProcessBus, subject: str, handler: Handler) -> None:
        self._bus = bus
        self.subject = subject
        self._handler = handler
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"bus {subject}")

    def deliver(self, payload: bytes) -> None:
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
        self._bus.forget(self)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class InProcessBus:
    """A :class:`~industryos.queue.bus.interface.Bus` within one process."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[_Subscription]] = {}
        self._closed = False

    async def publish(self, subject: str, payload: bytes) -> None:
        """Queue ``payload`` for every current subscriber of ``subject``."""
        if self._closed:
            raise BusError("the bus is closed")
        for subscription in self._subscriptions.get(check_subject(subject), ()):
            subscription.deliver(payload)

    async def subscribe(self, subject: str, handler: Handler) -> _Subscription:
        """Start calling ``handler`` with the payloads of ``subject``."""
        if self._closed:
            raise BusError("the bus is closed")
        subscription = _Subscription(self, check_subject(subject), handler)
        self._subscriptions.setdefault(subject, []).append(subscription)
        return subscription

    def forget(self, subscription: _Subscription) -> None:
        """Drop a closed subscription."""
        found = self._subscriptions.get(subscription.subject, [])
        if subscription in found:
            found.remove(subscription)
        if not found:
            self._subscriptions.pop(subscription.subject, None)

    async def close(self) -> None:
        """Close every subscription."""
        self._closed = True
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                await subscription.close()
