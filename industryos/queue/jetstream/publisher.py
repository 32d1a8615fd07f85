"""Publishing to JetStream and waiting for the streams' acknowledgements.

A publish acknowledgement (PubAck) arrives on a reply subject once the stream has stored the
message (on every replica of a replicated stream). All publishes of a queue share one reply
inbox: one subscription, a future per message keyed by the reply subject's last token,
instead of nats-py's request (a future and a timer each).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg as NatsMsg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from industryos.queue.interface import QueueClosedError, QueueWriteError

__all__ = ["PubAcks"]

log = logging.getLogger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"
"""JetStream drops a publish whose id it stored within its duplicate window: a retried
append is stored once."""


class PubAcks:
    """Publishes with a reply subject of one shared inbox and resolves each PubAck."""

    def __init__(self, client: Client, timeout_s: float) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._inbox = ""
        self._numbers = itertools.count()
        self._waiting: dict[str, asyncio.Future[int]] = {}
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """Subscribe the reply inbox."""
        self._inbox = self._client.new_inbox()
        self._subscription = await self._client.subscribe(f"{self._inbox}.*", cb=self._on_reply)

    async def stop(self) -> None:
        """Fail whatever still waits and unsubscribe."""
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(QueueClosedError("the queue is closed"))
        self._waiting.clear()
        if self._subscription is not None and self._client.is_connected:
            with contextlib.suppress(NatsError):  # (closing the connection ends it anyway)
                await self._subscription.unsubscribe()
        self._subscription = None

    async def publish(self, subject: str, payload: bytes, msg_id: str) -> asyncio.Future[int]:
        """Send one message; the future gets its stream sequence once it is stored.

        The message has its place in the connection's outgoing buffer when this returns, so
        successive calls are stored in call order.
        """
        if self._subscription is None:
            raise QueueClosedError("the queue is closed")
        token = str(next(self._numbers))
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        try:
            await self._client.publish(
                subject, payload, reply=f"{self._inbox}.{token}", headers={MSG_ID_HEADER: msg_id}
            )
        except NatsError as exc:
            del self._waiting[token]
            raise QueueWriteError(f"JetStream publish failed: {exc!r}") from exc
        return future

    async def wait(self, futures: list[asyncio.Future[int]]) -> None:
        """Return once every future has its PubAck; raise :class:`QueueWriteError` when one
        failed or the time limit passed (the messages may still be stored: what the device
        then sends again is a new message, processed twice, which processing tolerates)."""
        if not futures:
            return
        done, pending = await asyncio.wait(futures, timeout=self._timeout_s)
        for future in pending:
            future.cancel()
        if pending:
            self._forget(pending)
            raise QueueWriteError(
                f"JetStream did not acknowledge {len(pending)} of {len(futures)} messages "
                f"within {self._timeout_s} s"
            )
        errors = [error for future in done if (error := future.exception()) is not None]
        if errors:  # (each one retrieved: asyncio reports those never looked at)
            raise errors[0]

    def _forget(self, futures: set[asyncio.Future[int]]) -> None:
        for token, future in list(self._waiting.items()):
            if future in futures:
                del self._waiting[token]

    async def _on_reply(self, msg: NatsMsg) -> None:
        token = msg.subject.rpartition(".")[2]
        future = self._waiting.pop(token, None)
        if future is None or future.done():
            return  # (it timed out already)
        status = msg.headers.get("Status") if msg.headers else None
        if status is not None:  # 503: no stream holds the subject
            future.set_exception(QueueWriteError(f"JetStream refused the message: {status}"))
            return
        try:
            answer = orjson.loads(msg.data)
        except orjson.JSONDecodeError:
            future.set_exception(QueueWriteError(f"JetStream answered {msg.data[:200]!r}"))
            return
        error = answer.get("error")
        if error is not None:
            future.set_exception(
                QueueWriteError(f"JetStream refused the message: {error.get('description')}")
            )
        else:
            future.set_result(int(answer["seq"]))
