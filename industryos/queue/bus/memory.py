"""The in-process bus of an embedded or single node: every subscriber is in this process.

A publish hands the payload to each subscription's own inbox (a
:class:`~industryos.queue.bus.inbox.HandlerInbox`) and returns; a task per subscription
drains its inbox in order, so a handler never runs inside the publisher's call (as with a
network bus) and one slow handler delays only its own subscription.
"""

from __future__ import annotations

import asyncio
import logging

from industryos.queue.bus.inbox import HandlerInbox, remove_member
from industryos.queue.bus.interface import (
    BusError,
    BusTimeout,
    Handler,
    NoResponders,
    Responder,
    check_subject,
)

__all__ = ["InProcessBus"]

log = logging.getLogger(__name__)


class _Server:
    """One server of a subject: each request answered by the responder in its own task."""

    def __init__(self, bus: InProcessBus, subject: str, responder: Responder) -> None:
        self._bus = bus
        self.subject = subject
        self._responder = responder
        self._tasks: set[asyncio.Task[None]] = set()

    def answer(self, payload: bytes) -> asyncio.Future[bytes]:
        """The future answer to ``payload`` (never set when the responder fails)."""
        answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        task = asyncio.get_running_loop().create_task(self._run(payload, answer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return answer

    async def _run(self, payload: bytes, answer: asyncio.Future[bytes]) -> None:
        try:
            result = await self._responder(payload)
        except Exception:
            log.error("bus responder of %s failed", self.subject, exc_info=True)
            return
        if not answer.done():
            answer.set_result(result)

    async def close(self) -> None:
        """Stop serving; requests being answered finish (their answers still arrive)."""
        self._bus.forget_server(self)

    async def cancel(self) -> None:
        """Stop serving and cancel the requests being answered (the bus is closing)."""
        self._bus.forget_server(self)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class InProcessBus:
    """A :class:`~industryos.queue.bus.interface.Bus` within one process."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, list[HandlerInbox]] = {}
        self._servers: dict[str, list[_Server]] = {}
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
        answer = servers[-1].answer(payload)
        try:
            async with asyncio.timeout(timeout_s):
                return await answer
        except TimeoutError:
            raise BusTimeout(f"no answer on {subject} within {timeout_s} s") from None

    async def serve(self, subject: str, responder: Responder) -> _Server:
        """Start answering the requests of ``subject``."""
        if self._closed:
            raise BusError("the bus is closed")
        server = _Server(self, check_subject(subject), responder)
        self._servers.setdefault(subject, []).append(server)
        return server

    def forget_server(self, server: _Server) -> None:
        """Drop a closed server."""
        remove_member(self._servers, server.subject, server)

    async def close(self) -> None:
        """Close every subscription and server."""
        self._closed = True
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                await subscription.close()
        for servers in list(self._servers.values()):
            for server in list(servers):
                await server.cancel()
