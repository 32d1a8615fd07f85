"""Counters the rule engine keeps: per node (processed, failed, mean time) and per queue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NodeStats", "QueueStats", "merge_queue_stats"]


@dataclass(slots=True)
class NodeStats:
    """One rule node's counters since the node was (re)built."""

    processed: int = 0
    failed: int = 0
    total_s: float = 0.0

    def record(self, seconds: float, failed: bool) -> None:
        """Count one message."""
        self.processed += 1
        self.total_s += seconds
        if failed:
            self.failed += 1

    def to_wire(self) -> dict[str, Any]:
        """JSON for the stats endpoint."""
        mean = self.total_s / self.processed if self.processed else 0.0
        return {
            "processed": self.processed,
            "failed": self.failed,
            "meanTimeMs": round(mean * 1000, 3),
        }


@dataclass(slots=True)
class QueueStats:
    """One queue's counters and in-flight view."""

    name: str
    successful: int = 0
    failed: int = 0
    """Gave up after the strategy's retries (or skipped at once)."""
    timed_out: int = 0
    retried: int = 0
    in_flight: int = 0
    chain_times_ms: list[float] = field(default_factory=list)
    """A bounded sample of recent time-in-chain values (for p99)."""

    def record_time(self, ms: float) -> None:
        """Keep the last 10 000 times in chain."""
        times = self.chain_times_ms
        times.append(ms)
        if len(times) > 20_000:
            del times[:10_000]

    def percentile(self, p: float) -> float:
        """The ``p`` percentile (0..100) of the recent times in chain."""
        times = sorted(self.chain_times_ms[-10_000:])
        if not times:
            return 0.0
        return times[min(len(times) - 1, int(len(times) * p / 100))]

    def to_wire(self) -> dict[str, Any]:
        """JSON for the stats endpoint (lag is added by the consumer)."""
        return {
            "queueName": self.name,
            "successfulMsgs": self.successful,
            "failedMsgs": self.failed,
            "timeoutMsgs": self.timed_out,
            "retriedMsgs": self.retried,
            "inFlightMsgs": self.in_flight,
            "p99TimeInChainMs": round(self.percentile(99), 3),
        }


_SUMMED = (
    "successfulMsgs",
    "failedMsgs",
    "timeoutMsgs",
    "retriedMsgs",
    "inFlightMsgs",
    "lag",
    "ingestGateClosings",
    "ingestWaiting",
)
_HIGHEST = ("p99TimeInChainMs",)
_ALL = ("ingestGateOpen",)


def merge_queue_stats(workers: Iterable[Iterable[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One node's queue stats from its workers' (each worker consumes its own queue):
    counts, in-flight and lag add up, the p99 time in chain is the highest of the workers'
    (a percentile does not add up; this one is an upper bound of the node's), the ingest
    gate is open when it is open on every worker. Queues keep the first worker's order."""
    merged: dict[str, dict[str, Any]] = {}
    for stats in workers:
        for queue in stats:
            name = str(queue["queueName"])
            into = merged.get(name)
            if into is None:
                merged[name] = dict(queue)
                continue
            for key in _SUMMED:
                if key in queue:
                    into[key] = into.get(key, 0) + queue[key]
            for key in _HIGHEST:
                if key in queue:
                    into[key] = max(into.get(key, queue[key]), queue[key])
            for key in _ALL:
                if key in queue:
                    into[key] = into.get(key, True) and queue[key]
    return list(merged.values())
