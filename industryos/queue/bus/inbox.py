"""A bus subscriber's and server's bookkeeping, shared by the in-process and the local bus.

Both buses hand a payload to a subscription's own inbox and return; a task per subscription
feeds its handler one payload at a time, in order, so a handler never runs inside the call
that delivered it and one slow handler delays only its own subscription. Both keep their
subscribers (and servers, and the local broker its clients) in subject → members tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from industryos.queue.bus.interface import BusError, Handler, Responder, failure_text

__all__ = ["HandlerInbox", "ResponderTasks", "close_all", "remove_member"]

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


class ResponderTasks:
    """One server of a subject: each request answered by the responder in a task of its
    own, so a slow one delays no other. ``close`` stops new requests (those being answered
    finish), ``cancel`` also cancels those."""

    def __init__(
        self, subject: str, responder: Responder, forget: Callable[[ResponderTasks], None]
    ) -> None:
        self.subject = subject
        self._responder = responder
        self._forget = forget
        """Called when serving stops: the bus drops the server."""
        self._tasks: set[asyncio.Task[None]] = set()

    def answer(
        self,
        payload: bytes,
        deliver: Callable[[bytes], Awaitable[None]],
        fail: Callable[[str], Awaitable[None]],
    ) -> None:
        """Answer ``payload`` in a task: ``deliver`` gets the result, or ``fail`` what the
        responder raised (:func:`~industryos.queue.bus.interface.failure_text`)."""
        task = asyncio.get_running_loop().create_task(self._run(payload, deliver, fail))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(
        self,
        payload: bytes,
        deliver: Callable[[bytes], Awaitable[None]],
        fail: Callable[[str], Awaitable[None]],
    ) -> None:
        try:
            try:
                result = await self._responder(payload)
            except Exception as exc:
                log.error("bus responder of %s failed", self.subject, exc_info=True)
                await fail(failure_text(exc))
                return
            await deliver(result)
        except BusError as exc:
            log.warning("bus answer on %s not sent: %s", self.subject, exc)

    async def close(self) -> None:
        """Stop serving; requests being answered finish (their answers still go out)."""
        self._forget(self)

    async def cancel(self) -> None:
        """Stop serving and cancel the requests being answered (the bus is closing)."""
        self._forget(self)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def close_all(
    subscriptions: dict[str, list[HandlerInbox]], servers: dict[str, list[ResponderTasks]]
) -> None:
    """Close every subscription and cancel every server (their bus is closing)."""
    for members in list(subscriptions.values()):
        for subscription in list(members):
            await subscription.close()
    for served in list(servers.values()):
        for server in list(served):
            await server.cancel()


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
