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
