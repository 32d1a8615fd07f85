"""The cluster bus over core NATS subjects (the cluster's NATS server, no JetStream).

One client connection per node, reconnecting by itself; while it is disconnected the client
buffers publishes (nats-py's pending buffer) and NATS delivers nothing that was published
meanwhile to a reconnected subscriber, which is the at-most-once contract of
:mod:`industryos.queue.bus.interface`. nats-py runs each subscription's callback one message
at a time in its own task; exceptions are caught and logged here. Client errors become
:class:`BusError`. Requests are NATS request/reply: servers of a subject form one queue
group (each request reaches one of them), NATS answers "no responders" at once for a
subject nobody serves, and each request is answered in a task of its own.

Design limit: no authentication or TLS options yet (the cluster's NATS is assumed to be on a
private network, as the queue's would be).
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.client import Client
from nats.aio.msg import Msg as NatsMsg
from nats.aio.subscription import Subscription as NatsSubscription
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from industryos.queue.bus.interface import (
    BusError,
    BusTimeout,
    BusUnreachable,
    Handler,
    NoResponders,
    Responder,
    ResponderFailed,
    check_subject,
    failure_text,
)
from industryos.queue.nats_client import close_nats, connect_nats

__all__ = ["NatsBus"]

log = logging.getLogger(__name__)

_SERVERS = "industryos-servers"
"""The queue group of every served subject (one server answers each request)."""

FAILED_HEADER = "Industryos-Failed"
"""Marks an answer that is a failed responder's exception text, not its result."""
_FAILED = {FAILED_HEADER: "1"}

_SETTLE_S = 10.0
"""How long a new subscription may take to reach the server before subscribing fails."""


class _Subscription:
    """A NATS subscription behind the bus interface."""

    def __init__(self, subscription: NatsSubscription) -> None:
        self._subscription: NatsSubscription | None = subscription

    async def close(self) -> None:
        """Unsubscribe (a closed connection has nothing left to unsubscribe)."""
        subscription, self._subscription = self._subscription, None
        if subscription is None:
            return
        try:
            await subscription.unsubscribe()
        except NatsError as exc:
            log.debug("bus unsubscribe: %s", exc)


class NatsBus:
    """A :class:`~industryos.queue.bus.interface.Bus` on a NATS server."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._answering: set[asyncio.Task[None]] = set()

    @classmethod
    async def connect(cls, url: str, *, name: str | None = None) -> NatsBus:
        """Connect to the NATS server at ``url`` (``nats://host:port``)."""

        try:
            client = await connect_nats(url, name=name, log=log, what="cluster bus")
        except (NatsError, OSError) as exc:
            raise BusUnreachable(f"cannot connect to the cluster bus at {url}: {exc}") from exc
        return cls(client)

    async def publish(self, subject: str, payload: bytes) -> None:
        """Publish ``payload`` on ``subject``."""
        try:
            await self._client.publish(check_subject(subject), payload)
        except NatsError as exc:
            raise BusError(f"bus publish on {subject} failed: {exc}") from exc

    async def subscribe(self, subject: str, handler: Handler) -> _Subscription:
        """Call ``handler`` with each payload of ``subject``; subscribed once this returns."""

        async def deliver(msg: NatsMsg) -> None:
            try:
                await handler(msg.data)
            except Exception:
                log.error("bus handler of %s failed", subject, exc_info=True)

        try:
            subscription = await self._client.subscribe(check_subject(subject), cb=deliver)
            await self._settle()  # the server knows the subscription before we return
        except NatsError as exc:
            raise BusError(f"bus subscribe to {subject} failed: {exc}") from exc
        return _Subscription(subscription)

    async def request(self, subject: str, payload: bytes, timeout_s: float) -> bytes:
        """One server's answer to ``payload`` on ``subject``."""
        try:
            answer = await self._client.request(check_subject(subject), payload, timeout_s)
        except NoRespondersError:
            raise NoResponders(f"nobody serves {subject}") from None
        except NatsTimeout:
            raise BusTimeout(f"no answer on {subject} within {timeout_s} s") from None
        except NatsError as exc:
            raise BusError(f"bus request on {subject} failed: {exc}") from exc
        if answer.headers and answer.headers.get(FAILED_HEADER):
            raise ResponderFailed.of(subject, answer.data.decode(errors="replace"))
        return answer.data

    async def _send(
        self, reply: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> None:
        """A server's answer (or failure) to the requester's inbox."""
        try:
            await self._client.publish(reply, payload, headers=headers)
        except NatsError as exc:
            log.warning("bus answer on %s not sent: %s", reply, exc)

    async def serve(self, subject: str, responder: Responder) -> _Subscription:
        """Answer each request of ``subject`` in its own task; served once this returns."""

        async def answer(msg: NatsMsg) -> None:
            try:
                result = await responder(msg.data)
            except Exception as exc:
                log.error("bus responder of %s failed", subject, exc_info=True)
                if msg.reply:
                    await self._send(msg.reply, failure_text(exc).encode(), _FAILED)
                return
            if msg.reply:
                await self._send(msg.reply, result)

        async def deliver(msg: NatsMsg) -> None:
            task = asyncio.create_task(answer(msg))
            self._answering.add(task)
            task.add_done_callback(self._answering.discard)

        try:
            subscription = await self._client.subscribe(
                check_subject(subject), queue=_SERVERS, cb=deliver
            )
            await self._settle()
        except NatsError as exc:
            raise BusError(f"bus serve on {subject} failed: {exc}") from exc
        return _Subscription(subscription)

    async def _settle(self) -> None:
        """Return once the server has processed every command this client sent before.

        ``Client.flush()`` cannot promise that: nats-py (2.16) writes its PING straight to the
        socket while SUB and PUB wait in the client's pending buffer for its flusher task, so
        the PONG can come back before the server has read an earlier SUB, and a request from
        another node then finds "no responders". A message this client publishes to itself
        goes through that buffer behind the SUB, and the server handles one connection's
        commands in order: once it comes back, the subscription is in place. (It needs the
        connection's echo, nats-py's default: a ``no_echo`` connection would never see it.)
        """
        echo = await self._client.subscribe(self._client.new_inbox(), max_msgs=1)
        try:
            await self._client.publish(echo.subject, b"")
            await echo.next_msg(timeout=_SETTLE_S)
        except NatsError:
            await echo.unsubscribe()
            raise

    async def close(self) -> None:
        """Flush what was published, then close the connection."""
        answering = list(self._answering)
        for task in answering:
            task.cancel()
        await asyncio.gather(*answering, return_exceptions=True)
        await close_nats(self._client, log=log, what="cluster bus")
