"""A connection's ordered worker: application hooks in arrival order, publishes pipelined.

It exists only while there is work (queued hooks or publishes in flight): the first job
creates it, and it is dropped once it ran dry, so an idle connection holds no task, no
queue and no set of deliveries.

Publishes pipeline: the worker runs each ``on_publish`` as a task and starts the next one
as soon as the previous has reached an ordered point (:mod:`industryos.queue.ordering`:
its messages have their place in the durable queue and it only waits for the group
commit) or has finished. So the queue sees one client's messages in arrival order, and
a client with many publishes in flight has them made durable by the same group commit
instead of one commit each. Each delivery waits for the one before it before it answers,
so PUBACK/PUBREC also go out in arrival order. At most the session's Receive Maximum
deliveries are in flight; SUBSCRIBE and UNSUBSCRIBE wait until they have all finished.
When ``max_pending_packets`` jobs wait, the connection stops reading; the worker lets it
read again as soon as one is taken.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Generic

from industryos.queue.ordering import pipelined
from industryos.transport.mqtt.application import ContextT, PublishResult
from industryos.transport.mqtt.packets import Publish, Suback, Subscribe, Unsuback, Unsubscribe
from industryos.transport.mqtt.reason_codes import ReasonCode, v3_suback_code

if TYPE_CHECKING:
    from industryos.transport.mqtt.connection import Connection
    from industryos.transport.mqtt.session import Session

__all__ = ["Job", "Worker"]

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
_HOOK_FAILED = PublishResult(ack=None, disconnect=ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)


class Worker(Generic[ContextT]):
    """Runs one connection's queued jobs in order while it has any."""

    __slots__ = (
        "_app_closed",
        "_connection",
        "_deliveries",
        "_jobs",
        "_loop",
        "_parked",
        "_room",
        "_session",
        "_tail",
        "_task",
    )

    def __init__(self, connection: Connection[ContextT], session: Session[ContextT]) -> None:
        self._connection = connection
        self._session = session
        self._loop = connection.loop
        self._jobs: deque[Job | Publish] = deque()
        self._task: asyncio.Task[None] | None = None
        self._tail: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._room: asyncio.Future[None] | None = None
        self._parked = False
        self._app_closed = False

    @staticmethod
    def enqueue(
        connection: Connection[ContextT], session: Session[ContextT], job: Job | Publish
    ) -> bool:
        """Queue ``job`` on the connection's worker (made on demand); True when it is full
        and the connection must stop reading until the worker calls ``unpark``."""
        worker = connection.worker
        if worker is None:
            worker = connection.worker = Worker(connection, session)
        jobs = worker._jobs
        jobs.append(job)
        if worker._task is None:
            worker._task = worker._loop.create_task(worker._work())
        if len(jobs) < connection.config.max_pending_packets:
            return False
        worker._parked = True
        return True

    async def finish(self) -> None:
        """Wait until the queued jobs and the deliveries in flight are done (cancelled
        after the configured ``close_timeout``)."""
        timeout = self._connection.config.close_timeout
        try:
            async with asyncio.timeout(timeout):
                while (task := self._task) is not None:
                    await asyncio.wait((task,))
                await self._settled()
        except TimeoutError:
            log.warning("%r: application hooks still busy after %.1f s", self._connection, timeout)
            if self._task is not None:
                self._task.cancel()
            for task in self._deliveries:
                task.cancel()

    # --- the loop ----------------------------------------------------------------------

    async def _work(self) -> None:
        """Run queued hooks in arrival order, publishes pipelined; exit when none is left."""
        jobs, connection, session = self._jobs, self._connection, self._session
        limit = connection.config.max_pending_packets
        try:
            while jobs:
                job = jobs.popleft()
                if self._parked and len(jobs) < limit:
                    self._parked = False
                    connection.unpark()
                if self._app_closed:
                    continue
                if type(job) is Publish:
                    self._tail = await self._start_delivery(session, job, self._tail)
                    continue
                assert not isinstance(job, Publish)
                if self._deliveries:
                    await self._settled()
                self._tail = None
                try:
                    await job()
                except Exception:
                    log.exception("%r: application hook failed", connection)
                    self._app_close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
        finally:
            self._task = None
            self._release()

    def _release(self) -> None:
        """Drop this worker from its connection once it has nothing left to do."""
        idle = self._task is None and not self._deliveries and not self._jobs
        if idle and self._connection.worker is self:
            self._connection.worker = None

    async def _start_delivery(
        self, session: Session[ContextT], publish: Publish, previous: asyncio.Task[None] | None
    ) -> asyncio.Task[None]:
        """Start ``on_publish``; return once it reached its ordered point or finished."""
        loop = self._loop
        while len(self._deliveries) >= session.receive_maximum:
            self._room = loop.create_future()
            await self._room
        point = loop.create_future()

        def reached() -> None:
            if not point.done():
                point.set_result(None)

        task = loop.create_task(
            self._deliver(session, publish, previous), context=pipelined(reached)
        )
        self._deliveries.add(task)
        task.add_done_callback(partial(self._delivered, reached))
        await point
        return task

    def _delivered(self, reached: Callable[[], None], task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        reached()
        room = self._room
        if room is not None and not room.done():
            room.set_result(None)
        if self._tail is task:
            self._tail = None
        self._release()

    async def _settled(self) -> None:
        """Wait until every delivery in flight has finished."""
        while self._deliveries:
            await asyncio.wait(list(self._deliveries))

    def _app_close(self, reason: ReasonCode) -> None:
        """The application ends the session: its remaining packets are not handled."""
        self._app_closed = True
        self._connection.close(reason)

    async def _deliver(
        self, session: Session[ContextT], publish: Publish, previous: asyncio.Task[None] | None
    ) -> None:
        """One publish through the application; answered after the one before it."""
        try:
            result: PublishResult = await self._connection.app.on_publish(session, publish)
        except Exception:
            log.exception("%r: application hook failed", self._connection)
            result = _HOOK_FAILED
        if previous is not None and not previous.done():
            await asyncio.wait((previous,))
        if self._app_closed:
            return
        if publish.qos and result.ack is not None:
            session.acknowledge(publish, result.ack)
        if result.disconnect is not None:
            self._app_close(result.disconnect)

    # --- SUBSCRIBE / UNSUBSCRIBE jobs --------------------------------------------------

    @staticmethod
    async def subscribe(
        connection: Connection[ContextT], session: Session[ContextT], packet: Subscribe
    ) -> None:
        """Ask the application, then SUBACK."""
        codes = list(await connection.app.on_subscribe(session, packet.subscriptions))
        if len(codes) != len(packet.subscriptions):
            raise ValueError(f"on_subscribe returned {len(codes)} codes for {packet!r}")
        if not connection.v5:
            codes = [v3_suback_code(code) for code in codes]
        connection.send(Suback(packet.packet_id, codes))

    @staticmethod
    async def unsubscribe(
        connection: Connection[ContextT], session: Session[ContextT], packet: Unsubscribe
    ) -> None:
        """Ask the application, then UNSUBACK."""
        codes = list(await connection.app.on_unsubscribe(session, packet.topic_filters))
        if len(codes) != len(packet.topic_filters):
            raise ValueError(f"on_unsubscribe returned {len(codes)} codes for {packet!r}")
        connection.send(Unsuback(packet.packet_id, codes if connection.v5 else []))
