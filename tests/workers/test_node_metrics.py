"""Workers hand each other their metric samples and queue stats over the bus, so any worker
answers for all."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from industryos.api.health import DOWN, UP, Health
from industryos.api.routes.metrics import Sample
from industryos.queue.bus import open_bus
from industryos.workers.node_metrics import WorkerMetrics, node_tag


def _samples(worker: int) -> list[Sample]:
    label = ("worker", str(worker))
    return [
        Sample("industryos_queue_appended_total", "counter", 10 + worker, (label,)),
        Sample("industryos_rule_engine_lag", "gauge", 0, (("queue", "Main"), label)),
    ]


async def test_a_worker_gathers_the_others_and_leaves_out_one_that_does_not_answer() -> None:
    bus = await open_bus()
    tag = node_tag(Path("/srv/node-a"))
    workers = [WorkerMetrics(bus, tag, k, 3, partial(_samples, k)) for k in range(3)]
    try:
        await workers[0].start()
        await workers[1].start()  # worker 2 is being restarted: it serves nothing
        assert await workers[0].others() == _samples(1)
        assert sorted(await workers[2].others()) == sorted(_samples(0) + _samples(1))
    finally:
        for worker in workers:
            await worker.close()
        await bus.close()


async def test_workers_of_another_node_on_the_same_bus_are_not_asked() -> None:
    bus = await open_bus()
    ours = WorkerMetrics(bus, node_tag(Path("/srv/node-a")), 0, 2, lambda: _samples(0))
    theirs = WorkerMetrics(bus, node_tag(Path("/srv/node-b")), 1, 2, lambda: _samples(1))
    try:
        await ours.start()
        await theirs.start()
        assert await ours.others() == []  # node-a's worker 1 does not exist
    finally:
        await ours.close()
        await theirs.close()
        await bus.close()


def _queues(worker: int) -> list[dict[str, object]]:
    return [{"queueName": "Main", "successfulMsgs": 10 * (worker + 1), "lag": worker}]


async def test_a_worker_gathers_the_others_queue_stats() -> None:
    bus = await open_bus()
    tag = node_tag(Path("/srv/node-a"))
    workers = [
        WorkerMetrics(bus, tag, k, 3, partial(_samples, k), partial(_queues, k)) for k in range(3)
    ]
    try:
        for worker in workers[:2]:  # worker 2 is being restarted: it serves nothing
            await worker.start()
        assert await workers[2].other_queue_stats() == [_queues(0), _queues(1)]
        assert await workers[0].others() == _samples(1)  # samples are still samples
    finally:
        for worker in workers:
            await worker.close()
        await bus.close()


async def test_a_worker_gathers_the_others_health_and_names_one_that_does_not_answer() -> None:
    bus = await open_bus()
    tag = node_tag(Path("/srv/node-a"))
    full_disk = Health(DOWN, "the durable queue refuses device data")
    own = [Health(UP), full_disk, Health(UP)]

    async def health(k: int) -> Health:
        return own[k]

    workers = [
        WorkerMetrics(bus, tag, k, 3, partial(_samples, k), health=partial(health, k))
        for k in range(3)
    ]
    try:
        for worker in workers[:2]:  # worker 2 is being restarted: it serves nothing
            await worker.start()
        assert await workers[0].other_health() == [(1, full_disk), (2, None)]
        own[1] = Health(UP)  # the disk has room again
        assert await workers[2].other_health() == [(0, Health(UP)), (1, Health(UP))]
    finally:
        for worker in workers:
            await worker.close()
        await bus.close()
