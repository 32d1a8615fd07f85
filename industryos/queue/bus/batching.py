"""Publishing from synchronous hooks: items accumulate, one task sends them as one payload.

Change hooks (a committed write, a saved rule chain) are plain callables that must not
await. :class:`BatchedPublisher` lets them ``put`` an item, which only appends to a list;
one task encodes what accumulated and publishes it as one payload ``{"n": node id, <key>:
[items]}``, so a burst costs a few bus messages. Receivers skip payloads that carry their
own node id. The buffer is bounded: past ``max_pending`` items new ones are dropped and
counted (a WARNING per burst) instead of growing memory, and a payload the bus refuses is
counted as dropped too; delivery is the bus's, at most once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import orjson

from industryos.queue.bus.interface import Bus, BusError

__all__ = ["BatchedPublisher"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class BatchedPublisher(Generic[T]):
    """Buffers items put by hooks and publishes them in batches from one task."""

    def __init__(
        self,
        bus: Bus,
        subject: str,
        *,
        key: str,
        encode: Callable[[T], Any],
        max_pending: int,
        name: str,
    ) -> None:
        self._bus = bus
        self._subject = subject
        self._key = key
        self._encode = encode
        self._max_pending = max_pending
        self._name = name
        self.node_id = uuid.uuid4().hex
        """Carried by every payload, so this node's receiver can skip its own."""
        self._pending: list[T] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0
        self.dropped = 0
        self.taken = 0
        """Batches taken for sending so far: an item put since the last change of this count
        is still pending, and may still be amended in place."""

    def put(self, item: T) -> None:
        """Queue ``item`` for the next payload (never blocks)."""
        if len(self._pending) >= self._max_pending:
            if self.dropped % self._max_pending == 0:
                log.warning("%s: the bus is behind, dropping", self._name)
            self.dropped += 1
            return
        self._pending.append(item)
        self._ready.set()

    def start(self) -> None:
        """Start the sending task."""
        self._task = asyncio.get_running_loop().create_task(self._send_loop())

    async def stop(self) -> None:
        """Stop sending (what is still pending is not sent)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _send_loop(self) -> None:
        while True:
            await self._ready.wait()
            self._ready.clear()
            pending, self._pending = self._pending, []
            if not pending:
                continue
            self.taken += 1
            try:
                batch = [self._encode(item) for item in pending]
                # default=str: ids read through asyncpg are its own UUID type
                payload = orjson.dumps({"n": self.node_id, self._key: batch}, default=str)
            except (TypeError, ValueError, AttributeError):
                self.dropped += len(pending)
                log.exception("%s: %d items could not be encoded", self._name, len(pending))
                continue
            try:
                await self._bus.publish(self._subject, payload)
                self.sent += len(batch)
            except BusError as exc:
                self.dropped += len(batch)
                log.warning("%s: %d items not sent: %s", self._name, len(batch), exc)
