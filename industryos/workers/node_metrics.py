"""One node's figures from every worker: ``/metrics``, ``/api/ruleEngine/queues/stats`` and
``/api/health`` on any worker cover them all.

A scrape lands on one worker process (the kernel spreads connections over the workers'
sockets), and each worker has its own queue, rule engine and connections. Answering for
itself alone, a worker would leave the others' series out of that scrape, and Prometheus marks
a series missing from a scrape stale: every series would flap. So each worker serves its
samples on the bus under a subject of its own (the node's tag and its index), and the worker
that was asked requests the others' concurrently, for at most ``TIMEOUT_S``: a worker that is
being restarted is left out of that one scrape. The rule engine's queue stats are gathered
the same way (a request naming :data:`QUEUES`) and merged per queue
(:func:`industryos.rules.stats.merge_queue_stats`), and each worker's health (a request
naming :data:`HEALTH`), which :func:`industryos.api.health.node_health` combines: there a
worker that does not answer in time makes the node DOWN.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from industryos.api.health import UP, Health
from industryos.api.routes.metrics import Sample
from industryos.queue.bus import Bus, BusError, Subscription, subject_token

__all__ = ["HEALTH", "QUEUES", "TIMEOUT_S", "WorkerMetrics", "node_tag"]

log = logging.getLogger(__name__)

SUBJECT = "industryos.metrics"
TIMEOUT_S = 2.0
"""How long a scrape waits for another worker's samples."""
QUEUES = b"queues"
"""A request for a worker's rule-engine queue stats (any other payload asks for samples)."""
HEALTH = b"health"
"""A request for a worker's own health."""


def node_tag(data_dir: Path) -> str:
    """A bus token shared by the workers of one node and no other node's: the host and the
    data dir (several nodes may share a bus, each node's workers share its data dir)."""
    where = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return subject_token(f"{socket.gethostname()}-{where}")


class WorkerMetrics:
    """Serves this worker's samples and queue stats to the other workers, gathers theirs."""

    def __init__(
        self,
        bus: Bus,
        tag: str,
        worker: int,
        workers: int,
        local: Callable[[], list[Sample]],
        queue_stats: Callable[[], list[dict[str, Any]]] | None = None,
        health: Callable[[], Awaitable[Health]] | None = None,
    ) -> None:
        self._bus = bus
        self._tag = tag
        self._worker = worker
        self._workers = workers
        self._local = local
        self._queue_stats = queue_stats
        self._health = health
        self._served: Subscription | None = None

    def _subject(self, worker: int) -> str:
        return f"{SUBJECT}.{self._tag}.{worker}"

    async def start(self) -> None:
        """Answer the other workers' requests for this worker's samples."""
        self._served = await self._bus.serve(self._subject(self._worker), self._answer)

    async def _answer(self, request: bytes) -> bytes:
        if request == QUEUES:
            return orjson.dumps(self._queue_stats() if self._queue_stats is not None else [])
        if request == HEALTH:
            health = await self._health() if self._health is not None else Health(UP)
            return orjson.dumps(health.to_wire())
        return orjson.dumps([[s.name, s.kind, s.value, s.labels] for s in self._local()])

    async def others(self) -> list[Sample]:
        """Every other worker's samples (none from a worker that did not answer in time)."""
        return [
            Sample(name, kind, value, tuple((key, label) for key, label in labels))
            for answer in await self._gather(b"")
            for name, kind, value, labels in answer
        ]

    async def other_queue_stats(self) -> list[list[dict[str, Any]]]:
        """Every other worker's rule-engine queue stats, one list per worker that answered."""
        answers: list[list[dict[str, Any]]] = await self._gather(QUEUES)
        return answers

    async def other_health(self) -> list[tuple[int, Health | None]]:
        """Every other worker's own health by index; ``None`` for one that did not answer."""
        others = self._other_workers()
        answers = await asyncio.gather(*(self._ask(worker, HEALTH) for worker in others))
        return [
            (worker, None if answer is None else Health.from_wire(answer))
            for worker, answer in zip(others, answers, strict=True)
        ]

    def _other_workers(self) -> list[int]:
        return [worker for worker in range(self._workers) if worker != self._worker]

    async def _gather(self, request: bytes) -> list[Any]:
        answers = await asyncio.gather(
            *(self._ask(worker, request) for worker in self._other_workers())
        )
        return [answer for answer in answers if answer is not None]

    async def _ask(self, worker: int, request: bytes) -> Any:
        try:
            return orjson.loads(await self._bus.request(self._subject(worker), request, TIMEOUT_S))
        except BusError as exc:
            log.info("worker %d did not answer a request for %r: %r", worker, request, exc)
            return None

    async def close(self) -> None:
        """Stop answering."""
        if self._served is not None:
            await self._served.close()
            self._served = None
