"""Who hears about telemetry changes: a registry of callbacks, per entity or for all.

The WebSocket layer and device sessions (shared-attribute pushes) subscribe here instead of
polling the store. A listener is a plain synchronous callable; it must be quick (queue the
work, do not await I/O). A listener that raises is logged at ERROR and the others still
run: a faulty subscriber never fails a write.

Two moments of a time-series write (the batch writer commits points up to a batch later):

* *accepted*: the points passed validation and have their place in the writer's batch. The
  message that carried them is already durable in the queue, so a crash before the commit
  only delays them (the queue redelivers). ``subscribe(..., early=True)`` hears here: a
  subscription that shows values pushes them without waiting out the commit, which is most
  of the device-to-WebSocket latency under load;
* *committed*: the points are in the store. Plain subscribers hear here, and must: what
  re-reads the store on a change (live queries, aggregates, the cluster feed) would read
  before the points are there.

Every other event (attributes, deletes, events relayed from other cluster nodes) has one
moment, its commit, and reaches both kinds. An early subscriber also hears the *commit* of
points accepted before it subscribed, and only those: it cannot have heard their
acceptance, and a snapshot it reads right after subscribing may be too early to hold them.
So each point reaches it at least once (twice at most, around its subscription).

A value pushed on acceptance whose batch then fails to commit (disk full, database down)
was shown before it is stored: the save fails, and the rule engine retries a message that
failed on an unavailable store until the store takes it (``outages.py: is_outage``).

A *points relay* (:meth:`ListenerRegistry.relay_points`) hears every time-series write at
both moments, with the write's number: the cluster feed sends points to the other nodes at
acceptance, then a short commit notice, so their subscribers hear each moment when this
node's do.

Design limit: the registry is in-process. In a cluster, changes written on another node
reach this node's subscribers only once a cluster bus (NATS/Redis) republishes events here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, TsKvEntry

__all__ = [
    "AttributesDeleted",
    "AttributesUpdated",
    "Listener",
    "ListenerRegistry",
    "PointsRelay",
    "TelemetryEvent",
    "TimeseriesDeleted",
    "TimeseriesUpdated",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TimeseriesUpdated:
    """Points were stored for an entity (every written point, not only new latest values)."""

    tenant_id: uuid.UUID
    entity_id: uuid.UUID
    entries: tuple[TsKvEntry, ...]


@dataclass(frozen=True, slots=True)
class TimeseriesDeleted:
    """A range of keys was deleted; ``latest`` holds the rewritten latest points, if any."""

    tenant_id: uuid.UUID
    entity_id: uuid.UUID
    keys: tuple[str, ...]
    latest: tuple[TsKvEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class AttributesUpdated:
    """Attributes of one scope were saved."""

    tenant_id: uuid.UUID
    entity_id: uuid.UUID
    scope: AttributeScope
    entries: tuple[AttributeKvEntry, ...]


@dataclass(frozen=True, slots=True)
class AttributesDeleted:
    """Attributes of one scope were deleted."""

    tenant_id: uuid.UUID
    entity_id: uuid.UUID
    scope: AttributeScope
    keys: tuple[str, ...]


TelemetryEvent = TimeseriesUpdated | TimeseriesDeleted | AttributesUpdated | AttributesDeleted
Listener = Callable[[TelemetryEvent], None]


class PointsRelay(Protocol):
    """Hears both moments of every time-series write, numbered (see the module doc)."""

    def accepted(self, event: TimeseriesUpdated, number: int) -> None:
        """The points have their place in the writer's batch."""

    def committed(self, event: TimeseriesUpdated, number: int) -> None:
        """The points of acceptance ``number`` are stored."""


class _Subscription:
    """One listener, the moment it hears time-series writes at, and whether it does."""

    __slots__ = ("early", "listener", "points", "seen_from")

    def __init__(self, listener: Listener, early: bool, seen_from: int, points: bool) -> None:
        self.listener = listener
        self.early = early
        self.seen_from = seen_from
        """early: the acceptances numbered above this one reached it (their commits don't)"""
        self.points = points
        """False: not called for :class:`TimeseriesUpdated` (it only wants the rest)."""


class ListenerRegistry:
    """Callbacks keyed by entity id (or ``None`` for every entity)."""

    def __init__(self) -> None:
        self._by_entity: dict[uuid.UUID | None, list[_Subscription]] = {}
        self._accepted = 0
        """Number of the last accepted time-series write."""
        self._relays: list[PointsRelay] = []
        self._points_heard: dict[str, int] = {}
        """Text id of an entity ("*": every entity) -> subscriptions that hear its points."""
        self._heard_watchers: list[Callable[[str, bool], None]] = []

    def subscribe(
        self,
        listener: Listener,
        entity_id: uuid.UUID | None = None,
        *,
        early: bool = False,
        points: bool = True,
    ) -> Callable[[], None]:
        """Call ``listener`` on changes of ``entity_id`` (all entities if None), time-series
        writes once committed, or once accepted when ``early``, or never when not
        ``points`` (a listener of attribute changes is then not called once per written
        message); returns the function that unsubscribes it."""
        subscription = _Subscription(listener, early, self._accepted, points)
        self._by_entity.setdefault(entity_id, []).append(subscription)
        heard_key = "*" if entity_id is None else str(entity_id)
        if points:
            heard = self._points_heard.get(heard_key, 0)
            self._points_heard[heard_key] = heard + 1
            if not heard:
                self._heard_changed(heard_key, True)

        def unsubscribe() -> None:
            subscriptions = self._by_entity.get(entity_id, [])
            if subscription in subscriptions:
                subscriptions.remove(subscription)
                if points:
                    left = self._points_heard.pop(heard_key) - 1
                    if left:
                        self._points_heard[heard_key] = left
                    else:
                        self._heard_changed(heard_key, False)
                if not subscriptions:
                    del self._by_entity[entity_id]

        return unsubscribe

    def heard(self) -> list[str]:
        """Text ids of the entities whose points some listener hears ("*": every entity)."""
        return list(self._points_heard)

    def watch_heard(self, watcher: Callable[[str, bool], None]) -> Callable[[], None]:
        """Call ``watcher(text id, heard)`` when an entity's points gain their first listener
        or lose their last (the cluster feed announces it); returns the function that stops
        it."""
        self._heard_watchers.append(watcher)

        def stop() -> None:
            if watcher in self._heard_watchers:
                self._heard_watchers.remove(watcher)

        return stop

    def _heard_changed(self, entity: str, heard: bool) -> None:
        for watcher in self._heard_watchers:
            try:
                watcher(entity, heard)
            except Exception:
                log.error("telemetry heard-points watcher %r failed", watcher, exc_info=True)

    def publish(self, event: TelemetryEvent) -> None:
        """Deliver a committed change that had no acceptance of its own to every listener of
        its entity and to the catch-all ones."""
        points = isinstance(event, TimeseriesUpdated)
        for subscription in self._subscriptions(event):
            if subscription.points or not points:
                self._deliver(subscription.listener, event)

    def relay_points(self, relay: PointsRelay) -> Callable[[], None]:
        """Call ``relay`` at both moments of every time-series write, after the listeners;
        returns the function that removes it."""
        self._relays.append(relay)

        def remove() -> None:
            if relay in self._relays:
                self._relays.remove(relay)

        return remove

    def hears_points(self, entity_id: str) -> bool:
        """Whether a listener would hear time-series points of the entity of text id
        ``entity_id`` (the cluster feed asks before it decodes another node's points, and
        parsing the id cost more than the answer; relays do not count)."""
        heard = self._points_heard
        return entity_id in heard or "*" in heard

    def accept(self, event: TimeseriesUpdated) -> int:
        """Deliver points that have their place in the writer's batch to the early listeners;
        returns the number :meth:`commit` takes once they are stored."""
        self._accepted = number = self._accepted + 1
        for subscription in self._subscriptions(event):
            if subscription.early and subscription.points:
                self._deliver(subscription.listener, event)
        for relay in self._relays:
            self._deliver(relay.accepted, event, number)
        return number

    def commit(self, event: TimeseriesUpdated, number: int) -> None:
        """Deliver stored points to the plain listeners, and to the early ones that
        subscribed after their acceptance (``number``, from :meth:`accept`)."""
        for subscription in self._subscriptions(event):
            if subscription.points and (not subscription.early or number <= subscription.seen_from):
                self._deliver(subscription.listener, event)
        for relay in self._relays:
            self._deliver(relay.committed, event, number)

    def _subscriptions(self, event: TelemetryEvent) -> tuple[_Subscription, ...]:
        by_entity = self._by_entity
        return (*by_entity.get(event.entity_id, ()), *by_entity.get(None, ()))

    @staticmethod
    def _deliver(listener: Callable[..., None], event: TelemetryEvent, *number: int) -> None:
        try:
            listener(event, *number)
        except Exception:
            log.exception("telemetry listener %r failed on %s", listener, type(event).__name__)

    def __len__(self) -> int:
        return sum(len(subscriptions) for subscriptions in self._by_entity.values())
