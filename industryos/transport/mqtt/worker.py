"""A connection's ordered worker: application hooks in arrival order, publishes pipelined.

It exists only while there is work (queued jobs, a hook running or publishes in flight):
the first job creates it, and it is dropped once it ran dry, so an idle connection holds
no task, no queue and no set of deliveries.

Publishes pipeline, driven by callbacks rather than a loop: each ``on_publish`` runs as
one task (the delivery), and the next publish may start as soon as the previous delivery
has reached an ordered point (:mod:`industryos.queue.ordering`: its messages have their
place in the durable queue and it only waits for the group commit) or has finished. So
the queue sees one client's messages in arrival order, and a client with many publishes
in flight has them made durable by the same group commit instead of one commit each.
In the common case (nothing queued, the previous delivery past its point or finished,
room under Receive Maximum) :meth:`Worker.enqueue` starts the delivery at once, and a
PUBLISH costs that one task. Otherwise the job waits in the queue, and the callbacks
that open the way (the point reached, a delivery finished, a hook done) start the jobs
at its head, in order.

Each delivery waits for the one before it before it answers, so PUBACK/PUBREC also go
out in arrival order. At most the session's Receive Maximum deliveries are in flight.
Other jobs (``on_connect``, SUBSCRIBE, UNSUBSCRIBE) wait until every delivery has
finished and run one after another in one task; nothing behind them starts before they
are done. When ``max_pending_packets`` jobs wait, the connection stops reading; the
worker lets it read again as soon as one is taken.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic

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
    """Starts one connection's jobs in order while it has any."""

    __slots__ = (
        "_app_closed",
        "_connection",
        "_context",
        "_deliveries",
        "_jobs",
        "_loop",
        "_parked",
        "_pump_due",
        "_session",
        "_tail",
        "_task",
        "_unreached",
    )

    def __init__(self, connection: Connection[ContextT], session: Session[ContextT]) -> None:
        self._connection = connection
        self._session = session
        self._loop = connection.loop
        self._context = contextvars.copy_context()
        """The reader's context, for the callbacks that start jobs: a delivery started
        from one must not inherit what the previous delivery set in its own context."""
        self._jobs: deque[Job | Publish] = deque()
        """Jobs that must wait, in arrival order (empty in the common case)."""
        self._task: asyncio.Task[None] | None = None
        """The task running hooks (``on_connect``, SUBSCRIBE, UNSUBSCRIBE), if any."""
        self._deliveries: set[asyncio.Task[None]] = set()
        self._tail: asyncio.Task[None] | None = None
        """The last delivery started, until it finishes: the next one answers after it."""
        self._unreached: _Point | None = None
        """The tail's point while not reached: the next publish must wait for it."""
        self._pump_due = False
        self._parked = False
        self._app_closed = False

    @staticmethod
    def enqueue(
        connection: Connection[ContextT], session: Session[ContextT], job: Job | Publish
    ) -> bool:
        """Start ``job`` now if nothing holds it back, else queue it on the connection's
        worker (made on demand); True when the queue is full and the connection must stop
        reading until the worker calls ``unpark``."""
        worker = connection.worker
        if worker is None:
            worker = connection.worker = Worker(connection, session)
        elif worker._app_closed:
            return False  # the application ended the session: nothing more is handled
        jobs = worker._jobs
        if not jobs and worker._task is None:
            if type(job) is Publish:
                if worker._unreached is None and len(worker._deliveries) < session.receive_maximum:
                    worker._start_delivery(job)
                    return False
            elif not worker._deliveries:
                assert not isinstance(job, Publish)
                worker._task = worker._loop.create_task(worker._work(job))
                return False
        jobs.append(job)
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
                # queued jobs always wait behind the hook task or a delivery, whose
                # completion starts them: once neither is left, the queue is empty too
                while True:
                    if self._task is not None:
                        await asyncio.wait((self._task,))
                    elif self._deliveries:
                        await asyncio.wait(tuple(self._deliveries))
                    else:
                        break
        except TimeoutError:
            log.warning("%r: application hooks still busy after %.1f s", self._connection, timeout)
            self._jobs.clear()  # first, so the cancelled ones start nothing behind them
            if self._task is not None:
                self._task.cancel()
            for task in self._deliveries:
                task.cancel()

    # --- starting jobs -----------------------------------------------------------------

    def _pump(self) -> None:
        """Start the jobs at the head of the queue that may start now, in order."""
        self._pump_due = False
        jobs = self._jobs
        while jobs and self._task is None:
            if self._app_closed:
                jobs.clear()
                break
            job = jobs[0]
            if type(job) is Publish:
                if (
                    self._unreached is not None
                    or len(self._deliveries) >= self._session.receive_maximum
                ):
                    break
                jobs.popleft()
                self._start_delivery(job)
            else:
                if self._deliveries:
                    break  # a hook waits until every delivery has finished
                jobs.popleft()
                assert not isinstance(job, Publish)
                self._task = self._loop.create_task(self._work(job))
        self._unpark()

    def _unpark(self) -> None:
        """Let a paused connection read again once the queue has room."""
        if self._parked and len(self._jobs) < self._connection.config.max_pending_packets:
            self._parked = False
            self._connection.unpark()

    def _start_delivery(self, publish: Publish) -> None:
        """Run ``on_publish`` as a task; the next publish waits for its ordered point."""
        point = _Point(self)
        task = self._loop.create_task(
            self._deliver(self._session, publish, self._tail), context=pipelined(point)
        )
        self._deliveries.add(task)
        task.add_done_callback(point.finished, context=self._context)
        self._tail = task
        self._unreached = point

    def _reached(self, point: _Point) -> None:
        """The tail reached its ordered point (``ordered()``, maybe more than once).

        Called inside the application's code (the queue's append), so the waiting jobs are
        started from a fresh callback rather than from here.
        """
        if point is not self._unreached:
            return
        self._unreached = None
        if self._jobs and not self._pump_due:
            self._pump_due = True
            self._loop.call_soon(self._pump, context=self._context)

    def _delivered(self, task: asyncio.Task[None], point: _Point) -> None:
        deliveries = self._deliveries
        deliveries.discard(task)
        # what this may let start: a publish waiting for room under Receive Maximum, or
        # whatever waits for the deliveries to settle (a hook; a publish behind a point
        # never reached: deliveries finish in arrival order, so that one was the last)
        opens = len(deliveries) + 1 >= self._session.receive_maximum or not deliveries
        if point is self._unreached:
            self._unreached = None
        if task is self._tail:
            self._tail = None
        if opens and self._jobs:
            self._pump()
        self._release()

    def _release(self) -> None:
        """Drop this worker from its connection once it has nothing left to do."""
        idle = self._task is None and not self._deliveries and not self._jobs
        if idle and self._connection.worker is self:
            self._connection.worker = None

    def _app_close(self, reason: ReasonCode) -> None:
        """The application ends the session: its remaining packets are not handled."""
        self._app_closed = True
        self._connection.close(reason)

    # --- the tasks ---------------------------------------------------------------------

    async def _work(self, job: Job) -> None:
        """Run ``job`` and the hooks queued right behind it; then start what follows."""
        jobs = self._jobs
        finished = False
        try:
            while True:
                try:
                    await job()
                except Exception:
                    log.exception("%r: application hook failed", self._connection)
                    self._app_close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
                if self._app_closed or not jobs or type(jobs[0]) is Publish:
                    break
                next_job = jobs.popleft()
                assert not isinstance(next_job, Publish)
                job = next_job
                self._unpark()  # what it reads is queued: this task is still running
            finished = True
        finally:
            self._task = None
            if finished:
                self._pump()
            self._release()

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


class _Point:
    """One delivery's ordered point: the ``ordered()`` callback in its context, and its
    done callback.

    It lets go of the worker when the delivery finishes: the context it sits in outlives
    the delivery (whatever the delivery started copies it), and must not keep the worker,
    its own context and through it older workers alive.
    """

    __slots__ = ("_worker",)

    def __init__(self, worker: Worker[Any]) -> None:
        self._worker: Worker[Any] | None = worker

    def __call__(self) -> None:
        worker = self._worker
        if worker is not None:
            worker._reached(self)

    def finished(self, task: asyncio.Task[None]) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker._delivered(task, self)
