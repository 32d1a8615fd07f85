"""Cluster feeds send time-series points only to nodes that listen to their entity.

Each node here is a real :class:`ClusterFeeds` with a real listener registry, on the
in-process bus shared by the "nodes" of the test (the feeds only use the telemetry
service's registry, so that is all a node has).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from industryos.api.ws import cluster as cluster_feeds
from industryos.api.ws import interest
from industryos.api.ws.cluster import ClusterFeeds, encode_telemetry
from industryos.queue.bus import InProcessBus
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.listeners import ListenerRegistry, TelemetryEvent, TimeseriesUpdated
from tests.api.ws.conftest import until

SUBJECT = "test.feeds"
TENANT = uuid.uuid4()


class Peer:
    """One node: its listener registry and its cluster feed."""

    def __init__(self, bus: InProcessBus) -> None:
        self.listeners = ListenerRegistry()
        telemetry = SimpleNamespace(listeners=self.listeners, subscribe=self.listeners.subscribe)
        services: Any = SimpleNamespace(
            telemetry=telemetry, alarm_changes=None, entity_changes=None, notifications=None
        )
        self.feeds = ClusterFeeds(bus, services, SUBJECT)

    def write(self, event: TimeseriesUpdated) -> None:
        """Points accepted and committed by this node's writer."""
        self.listeners.commit(event, self.listeners.accept(event))


class Heard(list[TelemetryEvent]):
    def __call__(self, event: TelemetryEvent) -> None:
        self.append(event)


def points(entity: uuid.UUID, value: float) -> TimeseriesUpdated:
    return TimeseriesUpdated(TENANT, entity, (TsKvEntry(1, "t", value, DataType.DOUBLE),))


@pytest.fixture
async def bus() -> AsyncIterator[InProcessBus]:
    bus = InProcessBus()
    yield bus
    await bus.close()


@pytest.fixture
async def peers(bus: InProcessBus) -> AsyncIterator[Callable[[], Any]]:
    started: list[Peer] = []

    async def start() -> Peer:
        peer = Peer(bus)
        await peer.feeds.start()
        started.append(peer)
        return peer

    yield start
    for peer in started:
        await peer.feeds.stop()


async def test_a_node_learns_which_entities_the_others_listen_to(peers: Any) -> None:
    a, b = await peers(), await peers()
    watched, attributes_only = uuid.uuid4(), uuid.uuid4()
    stop = b.listeners.subscribe(Heard(), watched)
    b.listeners.subscribe(Heard(), attributes_only, points=False)
    await until(lambda: a.feeds.interest.wants(watched))
    assert not a.feeds.interest.wants(attributes_only)
    assert not b.feeds.interest.wants(watched)  # its own listeners are not "another node"
    stop()
    await until(lambda: not a.feeds.interest.wants(watched))


async def test_points_cross_only_to_a_node_that_listens_to_their_entity(peers: Any) -> None:
    a, b = await peers(), await peers()
    watched, unwatched = uuid.uuid4(), uuid.uuid4()
    heard = Heard()
    b.listeners.subscribe(heard, watched)
    await until(lambda: a.feeds.interest.wants(watched))
    a.write(points(unwatched, 1.0))
    a.write(points(watched, 2.0))
    await until(lambda: len(heard) == 1)
    assert heard == [points(watched, 2.0)]
    assert a.feeds.withheld == 1
    await until(lambda: b.feeds.received == 2)  # the points and their commit notice
    assert b.feeds.skipped == 0


async def test_points_accepted_before_a_listener_came_go_with_their_commit(peers: Any) -> None:
    a, b = await peers(), await peers()
    entity = uuid.uuid4()
    event = points(entity, 3.0)
    number = a.listeners.accept(event)  # nobody elsewhere listens yet: not sent
    assert a.feeds.withheld == 1
    heard = Heard()
    b.listeners.subscribe(heard, entity, early=True)
    await until(lambda: a.feeds.interest.wants(entity))
    a.listeners.commit(event, number)  # sent now, as committed points
    await until(lambda: len(heard) == 1)
    assert heard == [event]


async def test_a_new_listener_hears_the_points_committed_just_before_its_node_was_known(
    peers: Any,
) -> None:
    """Between a subscription and the writing node learning of it, a commit is not sent; the
    listener's first read of the store may have come before it: it is replayed."""
    a, b = await peers(), await peers()
    entity, other = uuid.uuid4(), uuid.uuid4()
    a.write(points(entity, 1.0))
    a.write(points(other, 9.0))
    a.write(points(entity, 2.0))
    heard = Heard()
    b.listeners.subscribe(heard, entity)
    await until(lambda: len(heard) == 2)
    assert heard == [points(entity, 1.0), points(entity, 2.0)]
    assert a.feeds.replayed == 2


async def test_commits_older_than_the_replay_window_are_not_replayed(
    peers: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(cluster_feeds, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    a, b = await peers(), await peers()
    entity = uuid.uuid4()
    a.write(points(entity, 1.0))
    clock[0] += 2 * cluster_feeds.RECENT_S
    b.listeners.subscribe(Heard(), entity)
    await until(lambda: a.feeds.interest.wants(entity))
    assert a.feeds.replayed == 0


async def test_a_node_started_later_learns_the_interest_already_there(peers: Any) -> None:
    """A starting node says hello: the others answer with their whole interest at once,
    not at their next periodic snapshot."""
    b = await peers()
    entity = uuid.uuid4()
    b.listeners.subscribe(Heard(), entity)
    late = await peers()
    await until(lambda: late.feeds.interest.wants(entity))
    assert interest.REFRESH_S >= 5  # so it was the answer to hello, not a periodic one


async def test_a_node_that_stops_is_forgotten_at_once(peers: Any) -> None:
    a, b = await peers(), await peers()
    entity = uuid.uuid4()
    b.listeners.subscribe(Heard(), entity)
    await until(lambda: a.feeds.interest.wants(entity))
    await b.feeds.stop()
    await until(lambda: not a.feeds.interest.wants(entity))
    assert a.feeds.interest.nodes() == []


async def test_a_listener_of_every_entity_wants_every_point(peers: Any) -> None:
    a, b = await peers(), await peers()
    heard = Heard()
    stop = b.listeners.subscribe(heard)  # a live query on keys of any entity
    await until(lambda: a.feeds.interest.wants(uuid.uuid4()))
    a.write(points(uuid.uuid4(), 4.0))
    await until(lambda: len(heard) == 1)
    stop()
    await until(lambda: not a.feeds.interest.wants(uuid.uuid4()))


async def test_a_node_heard_but_never_announced_is_sent_everything_until_it_announces(
    peers: Any, bus: InProcessBus
) -> None:
    """A node of an older version sends feed payloads and no interest: it gets every point,
    as before; once it announces (its snapshot was lost, say), only what it listens to."""
    a = await peers()
    anybody, entity = uuid.uuid4(), uuid.uuid4()
    marker = ["tu", *encode_telemetry(points(uuid.uuid4(), 0.0))[1:]]
    await bus.publish(SUBJECT, orjson.dumps({"n": "older", "e": [marker]}))
    await until(lambda: a.feeds.interest.wants(anybody))
    snapshot = {"n": "older", "k": "all", "ids": [str(entity)]}
    await bus.publish(f"{SUBJECT}.interest", orjson.dumps(snapshot))
    await until(lambda: not a.feeds.interest.wants(anybody))
    assert a.feeds.interest.wants(entity)
    await bus.publish(SUBJECT, orjson.dumps({"n": "older", "e": [marker]}))
    removed = {"n": "older", "k": "del", "ids": [str(entity)]}
    await bus.publish(f"{SUBJECT}.interest", orjson.dumps(removed))
    await until(lambda: not a.feeds.interest.wants(entity))
    assert not a.feeds.interest.wants(anybody)  # announced once: no longer presumed


async def test_unreadable_announcements_are_counted_and_change_nothing(
    peers: Any, bus: InProcessBus
) -> None:
    a = await peers()
    entity = uuid.uuid4()
    subject = f"{SUBJECT}.interest"
    for bad in (
        b"not json",
        orjson.dumps({"n": "x", "k": "all", "ids": "everything"}),
        orjson.dumps({"n": "x", "k": "all", "ids": ["not-a-uuid"]}),
        orjson.dumps({"n": "x", "k": "shout", "ids": []}),
        orjson.dumps({"k": "all", "ids": []}),
        orjson.dumps([1, 2]),
    ):
        await bus.publish(subject, bad)
    await bus.publish(subject, orjson.dumps({"n": "y", "k": "all", "ids": [str(entity)]}))
    await until(lambda: a.feeds.interest.wants(entity))
    assert a.feeds.interest.unreadable == 6
    assert a.feeds.interest.nodes() == ["y"]


def test_nodes_not_heard_from_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """A node that died without saying so: its interest goes after ``EXPIRE_S``."""
    clock = [0.0]
    monkeypatch.setattr(interest, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    wanted: list[uuid.UUID] = []
    remote = interest.RemoteInterest("me", wanted.extend)
    entity = uuid.uuid4()

    def announce(node: str, kind: str, ids: list[str]) -> None:
        remote.received(orjson.dumps({"n": node, "k": kind, "ids": ids}))

    announce("quiet", "all", [str(entity)])
    announce("talking", "all", [str(entity)])
    announce("me", "all", ["*"])  # its own announcement: ignored
    assert wanted == [entity]  # newly wanted once, not once per node
    clock[0] = interest.EXPIRE_S - 1
    announce("talking", "all", [str(entity)])  # its periodic snapshot
    clock[0] = interest.EXPIRE_S + 1
    assert remote.expire() == ["quiet"]
    assert remote.wants(entity)
    clock[0] = 2 * interest.EXPIRE_S
    assert remote.expire() == ["talking"]
    assert not remote.wants(entity)
    assert not remote.wants(uuid.uuid4())
