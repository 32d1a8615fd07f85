"""One consumer group's subscription to a JetStream topic: the partitions this member holds.

Which partitions those are changes while it runs (:mod:`industryos.queue.jetstream.leases`):
:meth:`JetStreamConsumer.gain` starts one, :meth:`~JetStreamConsumer.release` hands one
back once what it delivered is acked, :meth:`~JetStreamConsumer.lose` drops one at once (its
lease is gone: another member may consume it already).

Per held partition there is a durable pull consumer of this member. The stream is a work
queue, so it deletes what is acked, and each message is acked on its own (a work queue
allows no cumulative acks); an ack waits for the server's confirmation of the last one,
which covers the others sent before it on the same connection. Gaining a partition deletes
the previous owner's consumer and creates this member's, which delivers everything not
acked at once (the previous owner's own would wait for an ack timeout first), and the
previous owner's late acks find no consumer of theirs to reach. One pull request of
``PULL_BATCH`` messages is kept open per partition: the stream sends each message as it
stores it, and a new request follows when one is used up or expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg as NatsMsg
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from industryos.msg import Msg
from industryos.queue.interface import Batch, QueueClosedError, QueueWriteError, Record
from industryos.queue.jetstream.names import consumer_name, partition_subject, stream_name

__all__ = ["JetStreamConsumer"]

log = logging.getLogger(__name__)

PULL_BATCH = 256
"""Messages one pull request asks for."""
PULL_EXPIRES_S = 5.0
"""How long an idle pull request waits on the server before it is renewed."""
ACK_WAIT_S = 3600.0
"""When the server delivers an unacked message again to the same consumer. Only a new
owner's consumer needs everything again, and it gets it at once; a redelivery to an owner
that still processes the message is ignored."""
ACK_TIMEOUT_S = 5.0
"""How long an ack waits for the server's confirmation."""
RELEASE_WAIT_S = 60.0
"""How long a released partition waits for its delivered messages to be acked before it is
handed over anyway (the next owner then processes them once more)."""


class _Partition:
    """A held partition: its consumer, its open pull request and what it delivered."""

    def __init__(self, number: int, consumer: str, inbox: str) -> None:
        self.number = number
        self.consumer = consumer
        self.inbox = inbox
        self.buffer: deque[tuple[int, str, Msg]] = deque()
        """Delivered by the server, not yet fetched: (stream sequence, ack subject, message)."""
        self.unacked: deque[tuple[int, str]] = deque()
        """Fetched, not yet acked: (stream sequence, ack subject)."""
        self.last_seq = 0
        self.pending = 0
        """The server's count of messages after the last one it delivered."""
        self.requested = 0
        self.request_over = asyncio.Event()
        self.room = asyncio.Event()
        self.drained = asyncio.Event()
        self.releasing = False
        self.subscription: Subscription | None = None
        self.puller: asyncio.Task[None] | None = None

    def held(self) -> int:
        return len(self.buffer) + len(self.unacked)

    def lowest_held(self) -> int:
        """The lowest sequence still to be acked by this member (past the last one if none)."""
        if self.unacked:
            return self.unacked[0][0]
        if self.buffer:
            return self.buffer[0][0]
        return self.last_seq + 1


class JetStreamConsumer:
    """A consumer of a JetStream topic (see :class:`industryos.queue.QueueConsumer`)."""

    def __init__(
        self,
        client: Client,
        js: JetStreamContext,
        prefix: str,
        topic: str,
        group: str,
        member: str,
        max_unacked: int,
        on_close: Callable[[JetStreamConsumer], Awaitable[None]],
        on_moved: Callable[[JetStreamConsumer, int], None],
    ) -> None:
        self._client = client
        self._js = js
        self._prefix = prefix
        self._topic = topic
        self._group = group
        self._member = member
        self._stream = stream_name(prefix, topic)
        self._max_unacked = max_unacked
        self._on_close = on_close
        self._on_moved = on_moved
        self._parts: dict[int, _Partition] = {}
        self._wakeup = asyncio.Event()
        self._closed = False
        self._stopping: set[asyncio.Task[None]] = set()
        """Lost partitions whose pull ends in the background."""
        self.acks = 0
        """Acks the server confirmed (each covering every message up to its offset)."""

    @property
    def topic(self) -> str:
        """The topic this consumer reads."""
        return self._topic

    @property
    def group(self) -> str:
        """The consumer group whose progress this consumer acks."""
        return self._group

    @property
    def partitions(self) -> Sequence[int]:
        """The partitions this member holds now."""
        return sorted(self._parts)

    # -- holding partitions ----------------------------------------------------------------

    async def gain(self, partition: int) -> None:
        """Start consuming ``partition``: replace the group's consumer of it with ours."""
        if self._closed:
            raise QueueClosedError("the consumer is closed")
        mine = consumer_name(self._group, partition, self._member)
        earlier = f"{self._group}_{partition}_"
        for info in await self._js.consumers_info(self._stream):
            if info.name.startswith(earlier) and info.name != mine:
                with contextlib.suppress(NatsError):  # (another gainer may have deleted it)
                    await self._js.delete_consumer(self._stream, info.name)
        with contextlib.suppress(NatsError):  # ours from an earlier holding: start afresh
            await self._js.delete_consumer(self._stream, mine)
        await self._js.add_consumer(
            self._stream,
            ConsumerConfig(
                durable_name=mine,
                filter_subject=partition_subject(self._prefix, self._topic, partition),
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ACK_WAIT_S,
                max_deliver=-1,
                max_ack_pending=self._max_unacked,
            ),
        )
        part = _Partition(partition, mine, self._client.new_inbox())
        part.subscription = await self._client.subscribe(
            part.inbox, cb=functools.partial(self._on_message, part)
        )
        part.puller = asyncio.create_task(self._pull(part))
        self._parts[partition] = part
        log.debug("%s/%s: partition %d gained", self._topic, self._group, partition)
        self._on_moved(self, partition)

    async def release(self, partition: int) -> None:
        """Stop taking messages of ``partition``; return once what was fetched is acked
        (or after ``RELEASE_WAIT_S``). What was delivered but not fetched goes to the next
        owner."""
        part = self._parts.get(partition)
        if part is None:
            return
        part.releasing = True
        part.buffer.clear()
        await self._stop_pulling(part)
        if part.unacked:
            part.drained.clear()
            try:
                await asyncio.wait_for(part.drained.wait(), RELEASE_WAIT_S)
            except TimeoutError:
                log.warning(
                    "%s/%s: partition %d handed over with %d messages not acked",
                    self._topic,
                    self._group,
                    partition,
                    len(part.unacked),
                )
        if self._parts.get(partition) is part:
            del self._parts[partition]
        log.debug("%s/%s: partition %d released", self._topic, self._group, partition)
        self._on_moved(self, partition)

    def lose(self, partition: int) -> None:
        """Drop ``partition`` at once: its lease is gone, so another member may consume it.
        Acks of its messages are ignored from now on (the next owner delivers them again)."""
        part = self._parts.pop(partition, None)
        if part is None:
            return
        log.debug("%s/%s: partition %d dropped", self._topic, self._group, partition)
        self._on_moved(self, partition)
        task = asyncio.create_task(self._stop_pulling(part))
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    def reconnected(self) -> None:
        """The connection is back: the server forgot the open pull requests; ask again now
        rather than when they would have expired."""
        for part in self._parts.values():
            part.request_over.set()

    async def _stop_pulling(self, part: _Partition) -> None:
        if part.puller is not None:
            part.puller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await part.puller
            part.puller = None
        if part.subscription is not None:
            with contextlib.suppress(NatsError):
                await part.subscription.unsubscribe()
            part.subscription = None

    # -- delivery ----------------------------------------------------------------------------

    async def _pull(self, part: _Partition) -> None:
        """Keep one pull request open while there is room for what it brings."""
        subject = f"$JS.API.CONSUMER.MSG.NEXT.{self._stream}.{part.consumer}"
        request = orjson.dumps({"batch": PULL_BATCH, "expires": int(PULL_EXPIRES_S * 1e9)})
        while True:
            # what waits to be fetched stays under a batch (the runner bounds what it
            # fetched): a backlog stays in the stream, not in this process as messages
            while part.buffer or part.held() >= self._max_unacked:
                part.room.clear()
                await part.room.wait()
            part.request_over.clear()
            part.requested = PULL_BATCH
            try:
                await self._client.publish(subject, request, reply=part.inbox)
            except NatsError as exc:
                log.debug("%s: pull request failed: %r", part.consumer, exc)
                await asyncio.sleep(1.0)
                continue
            # a request the server lost (a reconnect) ends by the clock
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(part.request_over.wait(), PULL_EXPIRES_S + 2.0)

    async def _on_message(self, part: _Partition, msg: NatsMsg) -> None:
        if self._parts.get(part.number) is not part or part.releasing:
            return
        headers = msg.headers
        status = headers.get("Status") if headers else None
        if status is not None:
            if status != "100":  # (100: a heartbeat) 408 expired, 404 nothing, 409 ended
                part.request_over.set()
            if status == "409" and "Deleted" in (headers or {}).get("Description", ""):
                log.warning(  # a member that gained the partition replaced us
                    "%s/%s: partition %d was taken over", self._topic, self._group, part.number
                )
                self.lose(part.number)
            return
        part.requested -= 1
        if part.requested <= 0:
            part.request_over.set()
        meta = msg.metadata
        part.pending = meta.num_pending
        seq = meta.sequence.stream
        if seq <= part.last_seq:
            if seq < part.lowest_held():  # acked, but the ack was lost: ack it again
                await self._client.publish(msg.reply, b"+ACK")
            return  # (else still being processed here)
        part.last_seq = seq
        try:
            message = Msg.from_bytes(msg.data)
        except Exception:
            log.error(
                "%s/%s: partition %d: record %d is not a message; dropped",
                self._topic,
                self._group,
                part.number,
                seq,
                exc_info=True,
            )
            await self._client.publish(msg.reply, b"+ACK")
            return
        part.buffer.append((seq, msg.reply, message))
        self._wakeup.set()

    # -- the consumer interface -------------------------------------------------------------

    async def fetch(self, max_records: int = 1000, max_wait: float | None = None) -> list[Batch]:
        """Wait for delivered records, then return at most one batch per held partition."""
        loop = asyncio.get_running_loop()
        deadline = None if max_wait is None else loop.time() + max_wait
        while True:
            if self._closed:
                raise QueueClosedError("the consumer is closed")
            batches = self._take(max_records)
            if batches:
                return batches
            self._wakeup.clear()
            timeout = None if deadline is None else deadline - loop.time()
            if timeout is not None and timeout <= 0:
                return []
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout)
            except TimeoutError:
                return []

    def _take(self, max_records: int) -> list[Batch]:
        batches: list[Batch] = []
        left = max_records
        for part in self._parts.values():
            if left <= 0:
                break
            if not part.buffer or part.releasing:
                continue
            records: list[Record] = []
            while part.buffer and left > 0:
                seq, reply, message = part.buffer.popleft()
                part.unacked.append((seq, reply))
                records.append(Record(seq, message))
                left -= 1
            batches.append(Batch(self._topic, part.number, records))
            if not part.buffer:
                part.room.set()
        return batches

    async def ack(self, partition: int, offset: int) -> None:
        """Ack every fetched record of ``partition`` up to ``offset``; returns once the server
        confirmed. A partition no longer held is skipped: its next owner delivers again."""
        part = self._parts.get(partition)
        if part is None:
            return
        done: list[tuple[int, str]] = []
        while part.unacked and part.unacked[0][0] <= offset:
            done.append(part.unacked.popleft())
        if not done:
            return
        try:
            for _, reply in done[:-1]:
                await self._client.publish(reply, b"+ACK")
            # answered once the server has processed it, and so every ack sent before it
            await self._client.request(done[-1][1], b"+ACK", timeout=ACK_TIMEOUT_S)
        except (NatsError, TimeoutError) as exc:
            part.unacked.extendleft(reversed(done))  # the next ack sends them again
            raise QueueWriteError(f"JetStream did not confirm an ack: {exc!r}") from exc
        self.acks += 1
        part.room.set()
        if not part.unacked:
            part.drained.set()

    def lag(self) -> dict[int, int]:
        """Per held partition, the messages this group has not acked (as of the last
        delivery: the server counts what follows it)."""
        return {p: part.pending + part.held() for p, part in self._parts.items()}

    async def close(self) -> None:
        """Stop consuming; whatever was not acked goes to the partitions' next owners."""
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        parts = list(self._parts.values())
        self._parts.clear()
        for part in parts:
            await self._stop_pulling(part)
        for task in list(self._stopping):
            await task
        await self._on_close(self)
