"""``GET /metrics``: the node's figures in Prometheus text format, for scraping and alerting.

No tenant data, so no authentication (scrapers rarely carry a token). The sources:

* the rule engine's per-queue counters, labelled ``queue`` (``Main``, ``HighPriority``…),
  the same figures as ``GET /api/ruleEngine/queues/stats``;
* the durable queue every device message is written to before it is acknowledged: records,
  group commits, fsyncs, and the failed writes that refuse device uplinks (a full disk).
  ``industryos_queue_writes_refused`` is 1 while it refuses them: the figure to alert on;
* the time-series writer: committed batches and points, and failed batches (the rule
  engine retries the messages of a batch that failed on an unavailable database);
* the open MQTT connections.

Every sample carries a ``worker`` label: in a node of several worker processes each has its
own queue, rule engine and connections. The worker a scrape lands on adds the other workers'
samples (``others``, gathered over the bus by :mod:`industryos.workers.node_metrics`), so one
scrape covers the node and each worker's counters stay one series that only grows.

The :class:`MetricSources` are set on ``app.state`` by whoever composes the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse

from industryos.queue.embedded import QueueStats
from industryos.rules.engine import RuleEngine
from industryos.storage.timeseries import WriterStats

__all__ = ["STATE_ATTRIBUTE", "MetricSources", "Sample", "install", "render", "router"]

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

STORAGE_METRICS = (
    ("batches", "industryos_ts_batches_total", "counter"),
    ("points", "industryos_ts_points_total", "counter"),
    ("failed_batches", "industryos_ts_failed_batches_total", "counter"),
)
"""The time-series writer's figures: the :class:`WriterStats` field, the metric name and type."""


class Sample(NamedTuple):
    """One line of the exposition: a metric's value under some labels."""

    name: str
    kind: str
    value: float
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MetricSources:
    """Where the figures come from: the parts of the running node that count."""

    engine: RuleEngine
    queue_stats: Callable[[], QueueStats]
    storage_stats: WriterStats
    mqtt_connections: Callable[[], int]
    worker: int = 0
    others: Callable[[], Awaitable[list[Sample]]] | None = None
    """The other workers' samples, in a node of several worker processes."""

    def samples(self) -> list[Sample]:
        """This worker's figures, each labelled with its ``worker``."""
        worker = ("worker", str(self.worker))
        found = []
        queues = self.engine.queue_stats()
        for key, name, kind in RULE_ENGINE_METRICS:
            for queue in queues:
                if key in queue:
                    labels = (("queue", str(queue["queueName"])), worker)
                    found.append(Sample(name, kind, _number(queue[key]), labels))
        found += _fields(QUEUE_METRICS, self.queue_stats(), worker)
        found += _fields(STORAGE_METRICS, self.storage_stats, worker)
        connections = self.mqtt_connections()
        found.append(Sample("industryos_mqtt_connections", "gauge", connections, (worker,)))
        return found


def install(app: FastAPI, sources: MetricSources) -> None:
    """Mount ``/metrics`` on ``app`` and hand it ``sources``."""
    setattr(app.state, STATE_ATTRIBUTE, sources)
    app.include_router(router)


@router.get("/metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> str:
    """Prometheus text exposition (format 0.0.4) of the node's figures."""
    sources: MetricSources = getattr(request.app.state, STATE_ATTRIBUTE)
    samples = sources.samples()
    if sources.others is not None:
        samples += await sources.others()
    return render(samples)


def render(samples: Iterable[Sample]) -> str:
    """The exposition text: each metric's ``# TYPE`` line, then all its samples (the
    format wants them together, whichever worker they came from)."""
    metrics: dict[str, list[str]] = {}
    for sample in samples:
        lines = metrics.get(sample.name)
        if lines is None:
            lines = metrics[sample.name] = [f"# TYPE {sample.name} {sample.kind}"]
        labels = ",".join(f'{key}="{_escaped(value)}"' for key, value in sample.labels)
        lines.append(f"{sample.name}{{{labels}}} {sample.value}")
    return "".join(line + "\n" for lines in metrics.values() for line in lines)


def _fields(
    table: tuple[tuple[str, str, str], ...], source: object, worker: tuple[str, str]
) -> Iterator[Sample]:
    for field, name, kind in table:
        yield Sample(name, kind, _number(getattr(source, field)), (worker,))


def _escaped(label_value: str) -> str:
    """A label value as the text format quotes it (backslash, double quote, line feed)."""
    return label_value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: Any) -> float:
    """A sample value: booleans as 1 and 0 (Prometheus has no boolean)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    raise TypeError(f"a metric value must be a number, not {value!r}")
