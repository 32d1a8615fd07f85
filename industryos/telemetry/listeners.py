"""Who hears about telemetry changes: a registry of callbacks, per entity or for all.

The WebSocket layer and device sessions (shared-attribute pushes) subscribe here instead of
polling the store. A listener is a plain synchronous callable invoked after the change is
committed; it must be quick (queue the work, do not await I/O). A listener that raises is
logged at ERROR and the others still run: a faulty subscriber never fails a write.

Design limit: the registry is in-process. In a cluster, changes written on another node
reach this node's subscribers only once a cluster bus (NATS/Redis) republishes events here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, TsKvEntry

__all__ = [
    "AttributesDeleted",
    "AttributesUpdated",
    "Listener",
    "ListenerRegistry",
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


class ListenerRegistry:
    """Callbacks keyed by entity id (or ``None`` for every entity)."""

    def __init__(self) -> None:
        self._by_entity: dict[uuid.UUID | None, list[Listener]] = {}

    def subscribe(
        self, listener: Listener, entity_id: uuid.UUID | None = None
    ) -> Callable[[], None]:
        """Call ``listener`` on changes of ``entity_id`` (all entities if None); returns the
        function that unsubscribes it."""
        self._by_entity.setdefault(entity_id, []).append(listener)

        def unsubscribe() -> None:
            listeners = self._by_entity.get(entity_id, [])
            if listener in listeners:
                listeners.remove(listener)
                if not listeners:
                    del self._by_entity[entity_id]

        return unsubscribe

    def publish(self, event: TelemetryEvent) -> None:
        """Deliver ``event`` to the listeners of its entity and to the catch-all ones."""
        for key in (event.entity_id, None):
            for listener in tuple(self._by_entity.get(key, ())):
                try:
                    listener(event)
                except Exception:
                    log.exception(
                        "telemetry listener %r failed on %s", listener, type(event).__name__
                    )

    def __len__(self) -> int:
        return sum(len(listeners) for listeners in self._by_entity.values())
