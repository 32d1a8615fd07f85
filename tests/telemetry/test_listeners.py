"""The listener registry: per-entity and catch-all subscriptions."""

from __future__ import annotations

import logging
import uuid

import pytest

from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.listeners import (
    ListenerRegistry,
    TelemetryEvent,
    TimeseriesDeleted,
    TimeseriesUpdated,
)

TENANT = uuid.uuid4()


def updated(entity: uuid.UUID) -> TimeseriesUpdated:
    """An update of one point of ``entity``."""
    return TimeseriesUpdated(TENANT, entity, (TsKvEntry(1, "t", 1, DataType.LONG),))


def test_entity_and_catch_all_subscribers() -> None:
    """A listener of one entity hears only it; a catch-all listener hears every entity."""
    registry = ListenerRegistry()
    a, b = uuid.uuid4(), uuid.uuid4()
    heard_a: list[TelemetryEvent] = []
    heard_all: list[TelemetryEvent] = []
    registry.subscribe(heard_a.append, a)
    registry.subscribe(heard_all.append)
    registry.publish(updated(a))
    registry.publish(updated(b))
    assert [e.entity_id for e in heard_a] == [a]
    assert [e.entity_id for e in heard_all] == [a, b]


def test_unsubscribe() -> None:
    """The function subscribe returns removes exactly that listener."""
    registry = ListenerRegistry()
    entity = uuid.uuid4()
    heard: list[TelemetryEvent] = []
    unsubscribe = registry.subscribe(heard.append, entity)
    assert len(registry) == 1
    unsubscribe()
    unsubscribe()
    assert len(registry) == 0
    registry.publish(updated(entity))
    assert heard == []


def test_a_failing_listener_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    """A listener that raises is logged at ERROR; the next one still gets the event."""
    registry = ListenerRegistry()
    entity = uuid.uuid4()

    def broken(event: TelemetryEvent) -> None:
        raise RuntimeError("boom")

    heard: list[TelemetryEvent] = []
    registry.subscribe(broken, entity)
    registry.subscribe(heard.append, entity)
    event = TimeseriesDeleted(TENANT, entity, ("t",))
    with caplog.at_level(logging.ERROR):
        registry.publish(event)
    assert heard == [event]
    assert "boom" in caplog.text


def test_early_listeners_hear_acceptance_plain_ones_the_commit() -> None:
    """Accepted points reach early listeners only; their commit reaches plain ones only."""
    registry = ListenerRegistry()
    entity = uuid.uuid4()
    early: list[TelemetryEvent] = []
    plain: list[TelemetryEvent] = []
    registry.subscribe(early.append, entity, early=True)
    registry.subscribe(plain.append, entity)
    event = updated(entity)
    number = registry.accept(event)
    assert (early, plain) == ([event], [])
    registry.commit(event, number)
    assert (early, plain) == ([event], [event])


def test_an_early_listener_hears_the_commit_of_what_was_accepted_before_it() -> None:
    """Subscribed between a write's acceptance and its commit, an early listener gets the
    commit (it missed the acceptance); of later writes it gets the acceptance alone."""
    registry = ListenerRegistry()
    entity = uuid.uuid4()
    before, after = updated(entity), updated(entity)
    before_number = registry.accept(before)
    heard: list[TelemetryEvent] = []
    registry.subscribe(heard.append, entity, early=True)
    after_number = registry.accept(after)
    registry.commit(after, after_number)
    registry.commit(before, before_number)
    assert heard == [after, before]


def test_events_without_an_acceptance_reach_every_listener() -> None:
    """Attribute changes, deletes and relayed events are published once, to both kinds."""
    registry = ListenerRegistry()
    entity = uuid.uuid4()
    early: list[TelemetryEvent] = []
    plain: list[TelemetryEvent] = []
    catch_all: list[TelemetryEvent] = []
    registry.subscribe(early.append, entity, early=True)
    registry.subscribe(plain.append, entity)
    registry.subscribe(catch_all.append, early=True)
    event = TimeseriesDeleted(TENANT, entity, ("t",))
    registry.publish(event)
    assert early == plain == catch_all == [event]


def test_a_listener_without_points_hears_every_change_but_point_writes() -> None:
    """Device sessions and the state tracker only want attributes: a written point is not
    theirs, however it arrives (accepted, committed, relayed); a delete still is."""
    registry = ListenerRegistry()
    entity = uuid.uuid4()
    heard: list[TelemetryEvent] = []
    registry.subscribe(heard.append, entity, points=False)
    registry.subscribe(heard.append, points=False)
    event = updated(entity)
    registry.commit(event, registry.accept(event))
    registry.publish(updated(entity))
    deleted = TimeseriesDeleted(TENANT, entity, ("t",))
    registry.publish(deleted)
    assert heard == [deleted, deleted]


def test_who_hears_points_of_an_entity() -> None:
    """The cluster feed asks before decoding another node's points; listeners without
    points and points relays do not count."""
    registry = ListenerRegistry()
    watched, other = uuid.uuid4(), uuid.uuid4()
    registry.subscribe(lambda event: None, points=False)  # the cluster feed's out-listener
    registry.relay_points(Relay())
    registry.subscribe(lambda event: None, other, points=False)
    assert not registry.hears_points(str(watched))
    assert not registry.hears_points(str(other))
    unsubscribe = registry.subscribe(lambda event: None, watched)
    second = registry.subscribe(lambda event: None, watched, early=True)
    assert registry.hears_points(str(watched))
    assert not registry.hears_points(str(other))
    unsubscribe()
    unsubscribe()  # twice is harmless
    assert registry.hears_points(str(watched))  # the second one still hears it
    second()
    assert not registry.hears_points(str(watched))
    registry.subscribe(lambda event: None)  # a live query: every entity's points
    assert registry.hears_points(str(watched))
    assert registry.hears_points(str(other))


class Relay:
    """Records both moments of every write."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, TimeseriesUpdated, int]] = []

    def accepted(self, event: TimeseriesUpdated, number: int) -> None:
        self.heard.append(("accepted", event, number))

    def committed(self, event: TimeseriesUpdated, number: int) -> None:
        self.heard.append(("committed", event, number))


def test_a_points_relay_hears_both_moments_of_every_write_with_its_number() -> None:
    registry = ListenerRegistry()
    relay = Relay()
    remove = registry.relay_points(relay)
    first, second = updated(uuid.uuid4()), updated(uuid.uuid4())
    one = registry.accept(first)
    two = registry.accept(second)
    registry.commit(second, two)  # commits may come in another order
    registry.commit(first, one)
    assert relay.heard == [
        ("accepted", first, one),
        ("accepted", second, two),
        ("committed", second, two),
        ("committed", first, one),
    ]
    registry.publish(TimeseriesDeleted(TENANT, uuid.uuid4(), ("t",)))  # not a write: not heard
    remove()
    registry.commit(first, registry.accept(first))
    assert len(relay.heard) == 4
    remove()  # twice is harmless


def test_a_failing_relay_is_logged_and_the_write_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    registry = ListenerRegistry()

    class Broken(Relay):
        def accepted(self, event: TimeseriesUpdated, number: int) -> None:
            raise RuntimeError("relay down")

    working = Relay()
    registry.relay_points(Broken())
    registry.relay_points(working)
    event = updated(uuid.uuid4())
    with caplog.at_level(logging.ERROR):
        number = registry.accept(event)
    assert "relay down" in caplog.text
    assert working.heard == [("accepted", event, number)]
