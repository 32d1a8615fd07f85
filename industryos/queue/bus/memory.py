"""The in-process bus of an embedded or single node: every subscriber is in this process.

A publish hands the payload to each subscription's own inbox (a
:class:`~industryos.queue.bus.inbox.HandlerInbox`) and returns; a task per subscription
drains its inbox in order, so a handler never runs inside the publisher's call (as with a
network bus) and one slow handler delays only its own subscription.
"""

from __future__ import annotations

import asyncio
import logging

from industryos.queue.bus.inbox import HandlerInbox, ResponderTasks, close_all, remove_member
from industryos.queue.bus.interface import (
    BusError,
    BusTimeout,
    Handler,
    NoResponders,
    Responder,
    ResponderFailed,
    check_subject,
)

__all__ = ["InProcessBus"]

log = logging.getLogger(__name__)


class InProcessBus:
    """A :class:`~industryos.queue.bus.interface.Bus` within one process."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[HandlerInbox]] = {}
        self._servers: dict[str, list[ResponderTasks]] = {}
        self._closed = False

    async def publish(self, subject: str, payload: bytes) -> None:
        """Queue ``payload`` for every current subscriber of ``subject``."""
        if self._closed:
            raise BusError("the bus is closed")
        for subscription in self._subscriptions.get(check_subject(subject), ()):
            subscription.deliver(payload)

    async def subscribe(self, subject: str, handler: Handler) -> HandlerInbox:
        """Start calling ``handler`` with the payloads of ``subject``."""
        if self._closed:
            raise BusError("the bus is closed")
        subscription = HandlerInbox(check_subject(subject), handler, self.forget)
        self._subscriptions.setdefault(subject, []).append(subscription)
        return subscription

    def forget(self, subscription: HandlerInbox) -> None:
        """Drop a closed subscription."""
        remove_member(self._subscriptions, subscription.subject, subscription)

    async def request(self, subject: str, payload: bytes, timeout_s: float) -> bytes:
        """The answer of one server of ``subject`` (the servers take turns)."""
        if self._closed:
            raise BusError("the bus is closed")
        servers = self._servers.get(check_subject(subject))
        if not servers:
            raise NoResponders(f"nobody serves {subject}")
        servers.append(servers.pop(0))
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        async def deliver(result: bytes) -> None:
            if not answer.done():
                answer.set_result(result)

        async def fail(text: str) -> None:
            if not answer.done():
                answer.set_exception(ResponderFailed.of(subject, text))

        servers[-1].answer(payload, deliver, fail)
        try:
            async with asyncio.timeout(timeout_s):
                return await answer
        except TimeoutError:
            raise BusTimeout(f"no answer on {subject} within {timeout_s} s") from None

    async def serve(self, subject: str, responder: Responder) -> ResponderTasks:
        """Start answering the requests of ``subject``."""
        if self._closed:
            raise BusError("the bus is closed")
        server = ResponderTasks(check_subject(subject), responder, self.forget_server)
        self._servers.setdefault(subject, []).append(server)
        return server

    def forget_server(self, server: ResponderTasks) -> None:
        """Drop a closed server."""
        remove_member(self._servers, server.subject, server)

    async def close(self) -> None:
        """Close every subscription and server."""
        self._closed = True
        await close_all(self._subscriptions, self._servers)
