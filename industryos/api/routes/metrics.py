"""``GET /metrics``: the node's figures in Prometheus text format, for scraping and alerting.

No tenant data, so no authentication (scrapers rarely carry a token). Two sources:

* the rule engine's per-queue counters, labelled ``queue`` (``Main``, ``HighPriority``…),
  the same figures as ``GET /api/ruleEngine/queues/stats``;
* the durable queue every device message is written to before it is acknowledged: records,
  group commits, fsyncs, and the failed writes that refuse device uplinks (a full disk).
  ``industryos_queue_writes_refused`` is 1 while it refuses them: the figure to alert on.

Every sample carries a ``worker`` label: a node of several worker processes answers from the
worker the request landed on, each with its own queue and rule engine, so each worker's
counters stay one series that only grows.

The :class:`MetricSources` are set on ``app.state`` by whoever composes the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse

from industryos.queue.embedded import QueueStats
from industryos.rules.engine import RuleEngine

__all__ = ["STATE_ATTRIBUTE", "MetricSources", "install", "render", "router"]

STATE_ATTRIBUTE = "metric_sources"
"""The ``app.state`` attribute holding the :class:`MetricSources`."""

router = APIRouter(tags=["system"])

RULE_ENGINE_METRICS = (
    ("successfulMsgs", "industryos_rule_engine_successful_total", "counter"),
    ("failedMsgs", "industryos_rule_engine_failed_total", "counter"),
    ("timeoutMsgs", "industryos_rule_engine_timeout_total", "counter"),
    ("retriedMsgs", "industryos_rule_engine_retried_total", "counter"),
    ("inFlightMsgs", "industryos_rule_engine_in_flight", "gauge"),
    ("lag", "industryos_rule_engine_lag", "gauge"),
    ("p99TimeInChainMs", "industryos_rule_engine_p99_time_in_chain_ms", "gauge"),
    ("ingestGateClosings", "industryos_ingest_gate_closings_total", "counter"),
    ("ingestWaiting", "industryos_ingest_waiting", "gauge"),
)
"""Per rule-engine queue: the key in its stats, the metric name, the metric type."""

QUEUE_METRICS = (
    ("appended", "industryos_queue_appended_total", "counter"),
    ("commits", "industryos_queue_commits_total", "counter"),
    ("fsyncs", "industryos_queue_fsyncs_total", "counter"),
    ("bytes_written", "industryos_queue_written_bytes_total", "counter"),
    ("write_failures", "industryos_queue_write_failures_total", "counter"),
    ("writes_refused", "industryos_queue_writes_refused", "gauge"),
    ("offset_commits", "industryos_queue_ack_commits_total", "counter"),
    ("offset_write_failures", "industryos_queue_ack_write_failures_total", "counter"),
)
"""The durable queue's figures: the :class:`QueueStats` field, the metric name and type."""


@dataclass(frozen=True, slots=True)
class MetricSources:
    """Where the figures come from: the running rule engine and the durable queue."""

    engine: RuleEngine
    queue_stats: Callable[[], QueueStats]
    worker: int = 0


def install(app: FastAPI, sources: MetricSources) -> None:
    """Mount ``/metrics`` on ``app`` and hand it ``sources``."""
    setattr(app.state, STATE_ATTRIBUTE, sources)
    app.include_router(router)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> str:
    """Prometheus text exposition (format 0.0.4) of the rule-engine and queue figures."""
    sources: MetricSources = getattr(request.app.state, STATE_ATTRIBUTE)
    return render(sources.engine.queue_stats(), sources.queue_stats(), sources.worker)


def render(engine_queues: list[dict[str, Any]], queue: QueueStats, worker: int = 0) -> str:
    """The exposition text: one ``# TYPE`` line and its samples per metric."""
    lines = []
    for key, name, kind in RULE_ENGINE_METRICS:
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(
            f'{name}{{queue="{q["queueName"]}",worker="{worker}"}} {_number(q[key])}'
            for q in engine_queues
            if key in q
        )
    for field, name, kind in QUEUE_METRICS:
        lines.append(f"# TYPE {name} {kind}")
        lines.append(f'{name}{{worker="{worker}"}} {_number(getattr(queue, field))}')
    return "\n".join(lines) + "\n"


def _number(value: Any) -> str:
    """A sample value: booleans as 1 and 0 (Prometheus has no boolean)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
