"""One rule-engine queue: fetch, run each message through its chain, ack what is finished.

A single fetch loop reads the queue (fetches never overlap). Each record joins the lane
of its key (the originator, by default: see :mod:`industryos.rules.strategy`); lanes run
concurrently, up to ``max_in_flight`` messages in chains before their ordered point (one
past it only waits for a storage commit and gives its slot back). About
``_FETCH_AHEAD`` x ``max_in_flight`` fetched records wait in memory: beyond that the backlog
stays in the queue's log (unbounded lanes made every queued message a live Python object
that the garbage collector scanned again and again once ingest outran the engine).

A lane keeps its messages in order but pipelines them: it starts the next message once the
current one has reached an ordered point (:mod:`industryos.queue.ordering`: a leaf node on
a linear path, such as "save time series", has put its writes in the storage batch and
only waits for the commit) or has finished. So one originator's effects happen in queue
order, while its messages share storage batches instead of waiting ~one flush interval
each. A message that fails after its point is retried after later ones may have
finished; the stored effects are idempotent (same keys, same values). A lane is no task:
each message runs as one task, and reaching its point (or ending) starts the next message
of its lane from a callback, so a message costs one task and no future.

When a message is finished (success, or failure the strategy gives up on, after retries
with backoff) its offset is marked in the partition's :class:`OffsetTracker`, and the
ack task acknowledges the highest offset below which everything is finished.

Stop cancels what is in chains: those messages are not acked and come back on the next
start (at-least-once; the nodes that store data overwrite with equal values).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Protocol, runtime_checkable

from industryos.msg import Msg
from industryos.outages import is_outage
from industryos.queue.interface import (
    Queue,
    QueueClosedError,
    QueueConsumer,
    QueueWriteError,
    Record,
)
from industryos.queue.ordering import pipelined
from industryos.rules.deadlines import Deadlines
from industryos.rules.offsets import OffsetTracker
from industryos.rules.runtime import ChainRun
from industryos.rules.stats import QueueStats
from industryos.rules.strategy import LANE_KEYS, Outcome, QueueSettings

__all__ = ["QueueRunner"]

log = logging.getLogger(__name__)

Process = Callable[[Msg], Awaitable[ChainRun]]

_ACK_INTERVAL_S = 0.1
"""At most this often the finished offsets are made durable (ten offset-file replacements a
second instead of ~40 under load; what finished since is acked by the next one, or by stop)."""

_FETCH_AHEAD = 2
"""Fetched-but-unfinished records held in memory, as a multiple of ``max_in_flight``."""

_START_SLICE = 128
"""Messages the fetch loop starts before it lets the event loop turn. The first steps of the
tasks it starts (each message's chain up to its first wait) all run in the loop's next pass,
with no socket read or fsync completion in between: a fetch of 1,000 records made one pass
of ~50 ms, and the device appends held up behind it reached the disk in bursts."""


@runtime_checkable
class _HasLag(Protocol):
    def lag(self) -> dict[int, int]: ...


class _Slots:
    """A FIFO counting limiter: O(1) per acquire and release.

    (Python 3.11's ``asyncio.Semaphore.acquire`` scans every waiter each time, which
    turns quadratic when hundreds of pipelined messages wait for a slot.)
    """

    __slots__ = ("_free", "_waiters")

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        """Take a slot, waiting in FIFO order when none is free."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed a slot while being cancelled: pass it on
            elif waiter in self._waiters:  # (a release may have dropped it already)
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the longest waiter, or to the free count."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes straight to the next waiter
                return
        self._free += 1


class _Step:
    """One message of a lane: resolves its ordered point once, which starts the lane's next
    message (at the point itself, or when the message's task ends without reaching it).

    At the point the message also gives back its in-flight slot: from there it only waits
    for a commit, and holding the slot through a flush interval made the engine stall on
    its in-flight limit whenever batches grew (the writer's own pending bound and the
    runner's fetched-record bound still cap those messages).
    """

    __slots__ = ("_key", "_reached", "_runner", "slot", "task")

    def __init__(self, runner: QueueRunner, key: Hashable) -> None:
        self._runner = runner
        self._key = key
        self._reached = False
        self.slot = False
        """True while the current attempt holds an in-flight slot."""
        self.task: asyncio.Task[None] | None = None
        """The message's task (its deadline cancels it); ``asyncio.current_task`` is a
        Python function on 3.11 and cost ~3 % of the engine's time."""

    def __call__(self) -> None:
        self.give_back()
        if not self._reached:
            self._reached = True
            self._runner._advance(self._key)

    def give_back(self) -> None:
        """Release the attempt's in-flight slot, once."""
        if self.slot:
            self.slot = False
            self._runner._slots.release()

    def on_done(self, task: asyncio.Task[None]) -> None:
        self.task = None  # the task's context holds this step: no cycle for the collector
        self._runner._workers.discard(task)
        self()


class QueueRunner:
    """Consumes one topic for the rule engine under one consumer group."""

    def __init__(self, queue: Queue, settings: QueueSettings, group: str, process: Process) -> None:
        self.settings = settings
        self.stats = QueueStats(settings.name)
        self._queue = queue
        self._group = group
        self._process = process
        self._lane_key = LANE_KEYS[settings.submit]
        self._slots = _Slots(settings.max_in_flight)
        self._deadlines = Deadlines(settings.timeout_s)
        self._consumer: QueueConsumer | None = None
        self._consumer_lag: Callable[[], dict[int, int]] | None = None
        """The consumer's own lag, when it keeps one (checked once at subscribe: an
        ``isinstance`` of a runtime protocol walks its members, and the ingest gate reads
        the lag up to every 2 ms)."""
        self._fetcher: asyncio.Task[None] | None = None
        self._lanes: dict[Hashable, deque[tuple[int, Record]]] = {}
        """Per key whose last started message has not reached its point: what waits."""
        self._loop: asyncio.AbstractEventLoop  # the running loop, from start()
        self._context = contextvars.Context()
        """What every message's task starts from (the context ``start`` ran in)."""
        self._stopping = False
        self._workers: set[asyncio.Task[None]] = set()
        self._trackers: dict[int, OffsetTracker] = {}
        self._ack_to: dict[int, int] = {}
        self._acked: dict[int, int] = {}
        self._ack_wakeup = asyncio.Event()
        self._acker: asyncio.Task[None] | None = None
        self._held = 0  # fetched records not finished yet
        self._hold_limit = max(1, _FETCH_AHEAD * settings.max_in_flight)
        self._room = asyncio.Event()

    async def start(self) -> None:
        """Subscribe and start fetching."""
        self._consumer = await self._queue.subscribe(self.settings.name, self._group)
        self._consumer_lag = self._consumer.lag if isinstance(self._consumer, _HasLag) else None
        self._loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()
        self._stopping = False
        self._fetcher = asyncio.create_task(self._fetch_loop(self._consumer))
        self._fetcher.add_done_callback(self._report_crash)
        self._acker = asyncio.create_task(self._ack_loop(self._consumer))
        self._acker.add_done_callback(self._report_crash)

    async def stop(self) -> None:
        """Stop fetching, cancel what is in chains, flush acks of what finished, close."""
        self._stopping = True  # a cancelled message must not start its lane's next one
        tasks = [t for t in (self._fetcher, *self._workers) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._lanes.clear()  # what waited in lanes was not acked: it is fetched again
        await self._deadlines.close()
        if self._acker is not None:
            self._acker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._acker
        if self._consumer is not None:
            try:
                await self._flush_acks(self._consumer)
            except QueueClosedError:
                pass
            except QueueWriteError as exc:  # what finished is processed again after a restart
                log.warning("%s: last acks not written at stop: %s", self.settings.name, exc)
            await self._consumer.close()
            self._consumer = None
            self._consumer_lag = None

    def lag(self) -> int:
        """Records of this queue not yet acknowledged by the rule engine."""
        if self._consumer_lag is not None:
            return sum(self._consumer_lag().values())
        return sum(t.pending for t in self._trackers.values())

    def to_wire(self) -> dict[str, Any]:
        """Counters plus lag, for the stats endpoint."""
        return {**self.stats.to_wire(), "lag": self.lag()}

    async def _fetch_loop(self, consumer: QueueConsumer) -> None:
        while True:
            while self._held >= self._hold_limit:
                self._room.clear()
                await self._room.wait()
            room = min(1000, self._hold_limit - self._held)
            started = 0
            for batch in await consumer.fetch(max_records=room, max_wait=1.0):
                tracker = self._trackers.setdefault(batch.partition, OffsetTracker())
                self._held += len(batch.records)
                for record in batch.records:
                    tracker.delivered(record.offset)
                    key = self._lane_key(record.msg)
                    lane = self._lanes.get(key)
                    if lane is None:  # nothing of this key is before its point: start now
                        if started == _START_SLICE:
                            # let the started ones run and sockets in (meanwhile lanes only
                            # end, so this key still has none)
                            started = 0
                            await asyncio.sleep(0)
                        self._lanes[key] = deque()
                        self._start(key, batch.partition, record)
                        started += 1
                    else:
                        lane.append((batch.partition, record))

    def _start(self, key: Hashable, partition: int, record: Record) -> None:
        """Run one message as a task; its :class:`_Step` starts the lane's next one."""
        step = _Step(self, key)
        task = self._loop.create_task(
            self._run_one(partition, record, step), context=pipelined(step, self._context)
        )
        step.task = task
        self._workers.add(task)
        task.add_done_callback(step.on_done)

    def _advance(self, key: Hashable) -> None:
        """The lane's current message reached its point: start the next, or end the lane."""
        lane = self._lanes.get(key)
        if lane is None or self._stopping:
            return
        if lane:
            partition, record = lane.popleft()
            self._start(key, partition, record)
        else:
            del self._lanes[key]

    async def _run_one(self, partition: int, record: Record, step: _Step) -> None:
        await self._handle(record.msg, step)
        self._finished(partition, record.offset)
        self._held -= 1
        if self._held < self._hold_limit:
            self._room.set()

    async def _handle(self, msg: Msg, step: _Step) -> None:
        """Attempts under the processing strategy, with backoff between them."""
        settings, stats = self.settings, self.stats
        attempt = 0
        while True:
            outcome, run = await self._attempt(msg, step)
            if outcome is Outcome.SUCCESS or run.acked:
                stats.successful += 1
                return
            if run.outage:
                # Storage was down: never skip (the device was acknowledged); retry until
                # it is back, whatever the strategy says. The lane waits, order is kept.
                attempt += 1
                stats.retried += 1
                log.warning(
                    "%s: message %s hit an outage (attempt %d), retrying: %s",
                    settings.name,
                    msg.id,
                    attempt,
                    run.error,
                )
                await asyncio.sleep(settings.pause(attempt))
                continue
            if settings.gives_up(outcome, attempt):
                if outcome is Outcome.TIMEOUT:
                    stats.timed_out += 1
                else:
                    stats.failed += 1
                log.debug("%s: message %s %s: %s", settings.name, msg.id, outcome, run.error)
                return
            attempt += 1
            stats.retried += 1
            await asyncio.sleep(settings.pause(attempt))

    async def _attempt(self, msg: Msg, step: _Step) -> tuple[Outcome, ChainRun]:
        await self._slots.acquire()
        step.slot = True
        task = step.task
        assert task is not None  # set before the task first runs
        try:
            self.stats.in_flight += 1
            started = time.perf_counter()
            self._deadlines.enter(task)
            try:
                run = await self._process(msg)
            except asyncio.CancelledError:
                if self._deadlines.expired(task):
                    return Outcome.TIMEOUT, ChainRun(error="timeout")
                raise
            except Exception as exc:
                # Outside any node (loading the chain, the originator's fields): an outage
                # is retried like a node's; anything else fails the message, never the lane.
                log.error(
                    "%s: message %s could not be routed", self.settings.name, msg.id, exc_info=True
                )
                run = ChainRun(error=f"{type(exc).__name__}: {exc}", outage=is_outage(exc))
            finally:
                self._deadlines.leave(task)
                self.stats.in_flight -= 1
                self.stats.record_time((time.perf_counter() - started) * 1000)
        finally:
            step.give_back()  # if the message never reached its point
        return (Outcome.FAILURE if run.error is not None else Outcome.SUCCESS), run

    def _finished(self, partition: int, offset: int) -> None:
        ackable = self._trackers[partition].finished(offset)
        if ackable is not None:
            self._ack_to[partition] = ackable
            self._ack_wakeup.set()

    async def _ack_loop(self, consumer: QueueConsumer) -> None:
        loop = asyncio.get_running_loop()
        failing = False
        while True:
            await self._ack_wakeup.wait()
            self._ack_wakeup.clear()
            started = loop.time()
            try:
                await self._flush_acks(consumer)
            except QueueWriteError as exc:
                # the offsets could not be written (a full disk): the next flush acks what
                # finished meanwhile too; until then a crash would replay it (at-least-once)
                if not failing:
                    log.warning("%s: acks not written, retrying: %s", self.settings.name, exc)
                failing = True
                self._ack_wakeup.set()
            else:
                if failing:
                    log.info("%s: acks written again", self.settings.name)
                failing = False
            # each flush replaces the offsets file (two fsyncs) on the disk the appends
            # sync to; an ack later costs only a longer replay after a crash
            await asyncio.sleep(_ACK_INTERVAL_S - (loop.time() - started))

    async def _flush_acks(self, consumer: QueueConsumer) -> None:
        """Ack every partition's progress together: one durable commit, not one each."""
        due = [(p, o) for p, o in list(self._ack_to.items()) if self._acked.get(p, -1) < o]
        if due:
            await asyncio.gather(*(self._ack(consumer, p, o) for p, o in due))

    async def _ack(self, consumer: QueueConsumer, partition: int, offset: int) -> None:
        await consumer.ack(partition, offset)
        self._acked[partition] = max(self._acked.get(partition, -1), offset)

    def _report_crash(self, task: asyncio.Task[None]) -> None:
        """A runner that stops by itself stops the rule engine for its queue: say so."""
        if not task.cancelled() and task.exception() is not None:
            log.error("rule engine queue %s stopped", self.settings.name, exc_info=task.exception())
