"""``/api/health``: one answer for the whole node, whichever worker a check lands on."""

from __future__ import annotations

import httpx

from industryos.api.app import create_app
from industryos.api.health import DOWN, STARTING, UP, Health, node_health

FULL_DISK = Health(DOWN, "the durable queue refuses device data")


def test_a_single_process_answers_for_itself() -> None:
    assert node_health([(0, Health(UP))]) == Health(UP)
    assert node_health([(0, FULL_DISK)]) == FULL_DISK
    assert node_health([(0, Health(STARTING))]) == Health(STARTING)


def test_the_node_is_up_only_when_every_worker_is() -> None:
    assert node_health([(0, Health(UP)), (1, Health(UP)), (2, Health(UP))]) == Health(UP)


def test_one_worker_down_makes_the_node_down_and_is_named() -> None:
    health = node_health([(1, Health(UP)), (0, FULL_DISK), (2, Health(STARTING))])
    assert health == Health(DOWN, "worker 0: the durable queue refuses device data")


def test_a_worker_that_does_not_answer_makes_the_node_down() -> None:
    """Devices whose connections land on its socket wait until it is back."""
    health = node_health([(0, Health(UP)), (1, None), (2, FULL_DISK)])
    assert health.status == DOWN
    assert health.reason == (
        "worker 1 did not answer (stopped or restarting); "
        "worker 2: the durable queue refuses device data"
    )


def test_a_starting_worker_makes_the_node_starting() -> None:
    health = node_health([(0, Health(UP)), (1, Health(STARTING))])
    assert health == Health(STARTING, "worker 1 is starting")


def test_answers_from_other_workers_are_read_defensively() -> None:
    assert Health.from_wire({"status": "UP"}) == Health(UP)
    assert Health.from_wire({"status": "DOWN", "reason": "x"}) == Health(DOWN, "x")
    assert Health.from_wire({"status": "DOWN", "reason": 7}) == Health(DOWN)
    unreadable = Health.from_wire({"status": "FINE"})
    assert unreadable.status == DOWN
    assert "unreadable" in (unreadable.reason or "")


async def test_the_route_answers_503_unless_up_with_the_reason() -> None:
    answers = [Health(STARTING), FULL_DISK, Health(UP)]

    async def health() -> Health:
        return answers.pop(0)

    app = create_app(None, health=health)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        starting = await client.get("/api/health")
        assert (starting.status_code, starting.json()) == (503, {"status": "STARTING"})
        down = await client.get("/api/health")
        assert down.status_code == 503
        assert down.json() == {"status": "DOWN", "reason": "the durable queue refuses device data"}
        up = await client.get("/api/health")
        assert (up.status_code, up.json()) == (200, {"status": "UP"})
