"""Point interest between cluster nodes: each node learns which entities' points the others
listen to, so the change feed sends a point only where it is wanted."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from industryos.api.ws import interest as interest_module
from industryos.api.ws.interest import PointInterest
from industryos.queue.bus import InProcessBus
from industryos.telemetry.listeners import ListenerRegistry, TelemetryEvent


def _feed_listener(event: TelemetryEvent) -> None:
    """Stands for a node's own change-feed listener (never its interest)."""


class Node:
    """A registry and its node's point interest on a shared bus."""

    def __init__(self, bus: InProcessBus, name: str) -> None:
        self.registry = ListenerRegistry()
        self.registry.subscribe(_feed_listener)
        self.interest = PointInterest(bus, self.registry, name, _feed_listener, "test.interest")


@pytest.fixture
async def bus() -> AsyncIterator[InProcessBus]:
    shared = InProcessBus()
    yield shared
    await shared.close()


@pytest.fixture
async def nodes(bus: InProcessBus) -> AsyncIterator[list[Node]]:
    started: list[Node] = []
    yield started
    for node in started:
        await node.interest.stop()


async def _start(bus: InProcessBus, nodes: list[Node], name: str) -> Node:
    node = Node(bus, name)
    await node.interest.start()
    nodes.append(node)
    return node


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - interest has no event to wait on
            await asyncio.sleep(0.005)


@pytest.fixture(autouse=True)
def no_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interest_module, "GRACE_S", 0.0)


async def test_a_node_wants_the_entities_another_node_listens_to(
    bus: InProcessBus, nodes: list[Node]
) -> None:
    a, b = await _start(bus, nodes, "a"), await _start(bus, nodes, "b")
    watched, other = uuid.uuid4(), uuid.uuid4()
    assert not a.interest.wanted(watched)
    unsubscribe = b.registry.subscribe(lambda event: None, watched)
    b.registry.subscribe(lambda event: None, other, points=False)  # attributes only
    await _until(lambda: a.interest.wanted(watched))
    assert not a.interest.wanted(other)
    assert not b.interest.wanted(watched)  # its own listeners are not its interest
    unsubscribe()
    await _until(lambda: not a.interest.wanted(watched))


async def test_a_catch_all_listener_wants_every_entity(
    bus: InProcessBus, nodes: list[Node]
) -> None:
    a, b = await _start(bus, nodes, "a"), await _start(bus, nodes, "b")
    assert not a.interest.wanted(uuid.uuid4())  # b's feed listener alone wants nothing
    b.registry.subscribe(lambda event: None)  # a live query
    await _until(lambda: a.interest.wanted(uuid.uuid4()))


async def test_a_node_that_starts_later_learns_the_interest_at_once(
    bus: InProcessBus, nodes: list[Node]
) -> None:
    b = await _start(bus, nodes, "b")
    watched = uuid.uuid4()
    b.registry.subscribe(lambda event: None, watched)
    a = await _start(bus, nodes, "a")  # asks; b answers without waiting for its refresh
    await _until(lambda: a.interest.wanted(watched))


async def test_every_point_is_wanted_during_the_grace_after_start(
    bus: InProcessBus, nodes: list[Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interest_module, "GRACE_S", 60.0)
    a = await _start(bus, nodes, "a")
    assert a.interest.wanted(uuid.uuid4()) and not a.interest.settled


async def test_a_silent_node_is_forgotten(
    bus: InProcessBus, nodes: list[Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(interest_module, "REFRESH_S", 0.05)
    monkeypatch.setattr(interest_module, "EXPIRE_S", 0.15)
    a, b = await _start(bus, nodes, "a"), await _start(bus, nodes, "b")
    watched = uuid.uuid4()
    b.registry.subscribe(lambda event: None, watched)
    await _until(lambda: a.interest.wanted(watched))
    await b.interest.stop()  # b dies: no more announcements
    await _until(lambda: not a.interest.wanted(watched))


async def test_an_unreadable_announcement_is_logged_and_ignored(
    bus: InProcessBus, nodes: list[Node], caplog: pytest.LogCaptureFixture
) -> None:
    a = await _start(bus, nodes, "a")
    for payload in (b"not json", b'{"n": "x"}', b'{"n": "x", "a": false, "i": ["no-uuid"]}'):
        await bus.publish("test.interest", payload)
    await _until(lambda: caplog.text.count("unreadable announcement") == 3)
    assert not a.interest.wanted(uuid.uuid4())
