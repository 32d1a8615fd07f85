"""The consumer that stores device data while there is no rule engine yet.

It reads the rule engine's input topic and does what ThingsBoard's default root chain does
with device data: POST_TELEMETRY_REQUEST → save time series, POST_ATTRIBUTES_REQUEST → save
client attributes. Other message types have no effect here. A batch is acknowledged only
after everything in it is committed, so a crash replays it (at-least-once; saving the same
point twice overwrites it with the same value). The rule engine replaces this consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from industryos.entities.ids import now_ms
from industryos.msg import Msg, MsgType
from industryos.queue.interface import Batch, Queue, QueueConsumer
from industryos.telemetry.errors import TelemetryError
from industryos.telemetry.kv import AttributeScope
from industryos.telemetry.parse import attributes_from_json, loads, telemetry_from_json
from industryos.telemetry.service import TelemetryService

log = logging.getLogger(__name__)

CONSUMER_GROUP = "default-store"
RETRY_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)


class DefaultConsumer:
    """Stores telemetry and client attributes from the queue, acking after each commit."""

    def __init__(self, queue: Queue, topic: str, telemetry: TelemetryService) -> None:
        self._queue = queue
        self._topic = topic
        self._telemetry = telemetry
        self._consumer: QueueConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._handlers: dict[str, Callable[[Msg], Awaitable[None]]] = {
            MsgType.POST_TELEMETRY_REQUEST.value: self._save_telemetry,
            MsgType.POST_ATTRIBUTES_REQUEST.value: self._save_attributes,
        }
        self.processed = 0

    async def start(self) -> None:
        """Join the consumer group and start consuming."""
        self._consumer = await self._queue.subscribe(self._topic, CONSUMER_GROUP)
        self._task = asyncio.create_task(self._run(self._consumer), name="default-consumer")
        self._task.add_done_callback(_report_crash)

    async def stop(self) -> None:
        """Stop after the batch in progress; what is not acked is replayed on next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.close()
            self._consumer = None

    async def _run(self, consumer: QueueConsumer) -> None:
        while True:
            batches = await consumer.fetch(max_records=5000, max_wait=1.0)
            await asyncio.gather(*(self._process(consumer, batch) for batch in batches))

    async def _process(self, consumer: QueueConsumer, batch: Batch) -> None:
        """Store a batch, retrying storage failures with backoff until they succeed.

        The partition stalls (and says so in the log) rather than acking unstored data.
        """
        attempt = 0
        while True:
            try:
                await asyncio.gather(*(self._handle(record.msg) for record in batch.records))
                break
            except (OSError, SQLAlchemyError) as exc:
                delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                attempt += 1
                log.error(
                    "storing %d messages of %s/%d failed (attempt %d), retrying in %.1f s: %s",
                    len(batch.records),
                    batch.topic,
                    batch.partition,
                    attempt,
                    delay,
                    exc,
                )
                await asyncio.sleep(delay)
        await consumer.ack(batch.partition, batch.last_offset)
        self.processed += len(batch.records)

    async def _handle(self, msg: Msg) -> None:
        handler = self._handlers.get(msg.type)
        if handler is None:
            return
        try:
            await handler(msg)
        except (TelemetryError, ValueError) as exc:
            # The transport validated the payload; a message that still fails is skipped
            # (and logged) rather than blocking its partition forever.
            log.warning("skipping unstorable %s message %s: %s", msg.type, msg.id, exc)

    async def _save_telemetry(self, msg: Msg) -> None:
        ts = int(msg.metadata.get("ts") or msg.ts)
        entries = telemetry_from_json({"ts": ts, "values": loads(msg.data)}, now_ms())
        await self._telemetry.save_timeseries(msg.tenant_id, msg.originator.id, entries)

    async def _save_attributes(self, msg: Msg) -> None:
        entries = attributes_from_json(loads(msg.data))
        await self._telemetry.save_attributes(
            msg.tenant_id, msg.originator.id, AttributeScope.CLIENT_SCOPE, entries
        )


def _report_crash(task: asyncio.Task[None]) -> None:
    """A consumer that stops by itself stops storing device data: say so loudly."""
    if not task.cancelled() and task.exception() is not None:
        log.error("default consumer stopped", exc_info=task.exception())
