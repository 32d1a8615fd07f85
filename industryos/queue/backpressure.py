"""Backpressure: device uplinks wait while the rule engine is too far behind.

Ingest (parse, append, fsync, PUBACK) is cheaper than running a message through its chain,
so a fleet publishing flat out gets every message acknowledged and durable while the rule
engine's backlog, and with it the delay until data is stored and shown, grows for as long
as the load lasts. :class:`LagGate` wraps the producer the device transports append
through: while the consumer lag of the topic is above ``high_water`` records, appends wait
(so acknowledgements, and devices that wait for them, slow down to the engine's pace) until
it is back under ``low_water``. Nothing is refused or lost; a device only waits longer for
its PUBACK / HTTP response, as it would from a busy broker.

Only device uplinks go through the gate. Messages the rule engine and the services produce
themselves never wait: the engine must always be able to make progress, or the gate could
never open again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from industryos.msg import Msg
from industryos.queue.interface import QueueProducer

__all__ = ["LagGate"]

log = logging.getLogger(__name__)

_POLL_S = 0.01
"""How often a closed gate re-reads the lag (the lag has no change event)."""

_CHECK_S = 0.002
"""An open gate re-reads the lag at most this often: every uplink summing the consumer's
per-partition lag was ~1 % of the node's time at full ingest, and the gate's water marks
are thousands of records, which a few milliseconds of ingest cannot jump."""


class LagGate:
    """A :class:`QueueProducer` whose appends wait while ``lag()`` is too high."""

    def __init__(
        self,
        producer: QueueProducer,
        lag: Callable[[], int],
        high_water: int,
        low_water: int | None = None,
        check_interval_s: float = _CHECK_S,
    ) -> None:
        if high_water < 1:
            raise ValueError("high_water must be positive")
        self._producer = producer
        self._lag = lag
        self._high = high_water
        self._low = high_water * 3 // 4 if low_water is None else low_water
        if not 0 <= self._low <= self._high:
            raise ValueError("low_water must be between 0 and high_water")
        self._open = asyncio.Event()
        self._open.set()
        self._watcher: asyncio.Task[None] | None = None
        self._check_interval = check_interval_s
        self._next_check = 0.0
        self.closings = 0
        """How many times the gate closed (the queue stats endpoint reports it)."""
        self.waiting = 0
        """Uplinks waiting for the gate right now."""

    @property
    def is_open(self) -> bool:
        """False while appends wait for the rule engine to catch up."""
        return self._open.is_set()

    async def append(self, topic: str, msg: Msg) -> None:
        """Wait while the engine is behind, then append ``msg``."""
        await self._admit()
        await self._producer.append(topic, msg)

    async def append_many(self, topic: str, msgs: Sequence[Msg]) -> None:
        """Wait while the engine is behind, then append ``msgs`` in one commit."""
        await self._admit()
        await self._producer.append_many(topic, msgs)

    def to_wire(self) -> dict[str, Any]:
        """For the queue stats endpoint: how often and how many device uplinks waited."""
        return {
            "ingestGateOpen": self.is_open,
            "ingestGateClosings": self.closings,
            "ingestWaiting": self.waiting,
        }

    async def _admit(self) -> None:
        if self._open.is_set():
            now = time.monotonic()
            if now < self._next_check:
                return
            self._next_check = now + self._check_interval
            if self._lag() <= self._high:
                return
            self._close()
        self.waiting += 1
        try:
            await self._open.wait()
        finally:
            self.waiting -= 1

    def _close(self) -> None:
        self._open.clear()
        self.closings += 1
        log.debug("rule engine lag above %d records: device uplinks wait", self._high)
        if self._watcher is None or self._watcher.done():
            self._watcher = asyncio.get_running_loop().create_task(
                self._watch(), name="queue-lag-gate"
            )

    async def _watch(self) -> None:
        """Poll the lag while closed; open once it is back under ``low_water``."""
        try:
            while self._lag() > self._low:  # noqa: ASYNC110 - the lag has no change event
                await asyncio.sleep(_POLL_S)
        finally:
            # also when cancelled (the node stops): nobody may wait on a gate that no one
            # watches any more
            self._open.set()

    async def close(self) -> None:
        """Stop watching and let every waiting append through."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        self._open.set()
