"""The telemetry service: every write and read of time series and attributes goes here.

Transports' default consumer, the REST API and rule nodes all call this one service, so
every time-series point goes through the batch writer and every change reaches the
listeners (WebSocket subscriptions, device sessions) once it is committed; points reach
the early listeners (live values on the WebSocket) already once the writer has accepted
them (see :mod:`industryos.telemetry.listeners`). Methods take
the tenant and entity ids the callers already have; parsing of JSON payloads happens at
the edges (:mod:`industryos.telemetry.parse`), before this service is called.

Reads are keyed by entity: the caller has already checked that the entity belongs to the
tenant (the REST layer does for every request), as ThingsBoard's controllers do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence

from industryos.queue.ordering import ordered
from industryos.telemetry.backends import (
    AttributeStore,
    LatestChanges,
    TimeseriesReader,
    TimeseriesWriter,
)
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, KvEntry, TsKvEntry
from industryos.telemetry.listeners import (
    AttributesDeleted,
    AttributesUpdated,
    Listener,
    ListenerRegistry,
    TimeseriesDeleted,
    TimeseriesUpdated,
)
from industryos.telemetry.query import TsQuery

__all__ = ["TelemetryService"]


class TelemetryService:
    """Saves, reads and deletes telemetry and attributes, and notifies listeners."""

    def __init__(
        self,
        *,
        writer: TimeseriesWriter,
        timeseries: TimeseriesReader,
        attributes: AttributeStore,
        listeners: ListenerRegistry | None = None,
    ) -> None:
        self._writer = writer
        self._timeseries = timeseries
        self._attributes = attributes
        self.listeners = listeners or ListenerRegistry()

    def subscribe(
        self,
        listener: Listener,
        entity_id: uuid.UUID | None = None,
        *,
        early: bool = False,
        points: bool = True,
    ) -> Callable[[], None]:
        """Hear about committed changes of one entity (or all), time-series points already
        once accepted when ``early``, or not at all unless ``points``; returns the
        unsubscriber."""
        return self.listeners.subscribe(listener, entity_id, early=early, points=points)

    # Time series

    async def save_timeseries(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> None:
        """Store points through the batch writer; returns once they are committed.

        ``ttl_s`` > 0 sets the retention of these series in seconds; 0 keeps the tenant's.
        """
        if not entries:
            return
        # the writer adds the points synchronously (or, when full, waits for room in FIFO
        # order before adding): from here a pipelining caller may start its next item
        ordered()
        committed = await self._writer.enqueue(tenant_id, entity_id, entries, ttl_s)
        event = TimeseriesUpdated(tenant_id, entity_id, tuple(entries))
        number = self.listeners.accept(event)
        await committed
        self.listeners.commit(event, number)

    async def get_latest(
        self, tenant_id: uuid.UUID, entity_id: uuid.UUID, keys: Iterable[str] | None = None
    ) -> list[TsKvEntry]:
        """The latest point of each key (all keys if None)."""
        return await self._timeseries.latest(entity_id, keys)

    async def get_latest_many(
        self, tenant_id: uuid.UUID, entity_ids: Sequence[uuid.UUID], keys: Iterable[str]
    ) -> dict[uuid.UUID, list[TsKvEntry]]:
        """The latest point of each of ``keys`` for many entities (one read, not one each)."""
        return await self._timeseries.latest_many(entity_ids, keys)

    async def get_history(
        self, tenant_id: uuid.UUID, entity_id: uuid.UUID, queries: Sequence[TsQuery]
    ) -> dict[str, list[TsKvEntry]]:
        """Raw or aggregated history, one :class:`TsQuery` per key."""
        return await self._timeseries.history(entity_id, queries)

    async def get_timeseries_keys(self, tenant_id: uuid.UUID, entity_id: uuid.UUID) -> list[str]:
        """The time-series keys of an entity."""
        return await self._timeseries.keys(entity_id)

    async def delete_timeseries(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        keys: Sequence[str],
        start_ts: int,
        end_ts: int,
        *,
        delete_latest: bool = True,
        rewrite_latest: bool = False,
    ) -> LatestChanges:
        """Delete ``[start_ts, end_ts)`` of ``keys`` (platform-api §3.5 delete options)."""
        changes = await self._timeseries.delete(
            entity_id,
            keys,
            start_ts,
            end_ts,
            delete_latest=delete_latest,
            rewrite_latest=rewrite_latest,
        )
        if keys:
            self.listeners.publish(
                TimeseriesDeleted(tenant_id, entity_id, tuple(keys), changes.rewritten)
            )
        return changes

    # Attributes

    async def save_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: Sequence[KvEntry],
        ts: int | None = None,
    ) -> list[AttributeKvEntry]:
        """Upsert attributes of one scope; returns them with their ``lastUpdateTs``."""
        saved = await self._attributes.save(entity_id, scope, entries, ts)
        if saved:
            self.listeners.publish(AttributesUpdated(tenant_id, entity_id, scope, tuple(saved)))
        return saved

    async def save_attributes_many(
        self,
        writes: Sequence[tuple[uuid.UUID, uuid.UUID, AttributeScope, Sequence[KvEntry]]],
        ts: int | None = None,
    ) -> None:
        """Upsert ``(tenant_id, entity_id, scope, entries)`` writes in one transaction (one
        commit for a whole fleet's device state, not one per device), then tell listeners."""
        saved = await self._attributes.save_many(
            [(entity_id, scope, entries) for _, entity_id, scope, entries in writes], ts
        )
        publish = self.listeners.publish
        for (tenant_id, entity_id, scope, _), stored in zip(writes, saved, strict=True):
            if stored:
                publish(AttributesUpdated(tenant_id, entity_id, scope, tuple(stored)))

    async def get_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope | None = None,
        keys: Iterable[str] | None = None,
    ) -> dict[AttributeScope, list[AttributeKvEntry]]:
        """Attributes per scope (all scopes if None), all keys or only ``keys``."""
        return await self._attributes.find(entity_id, scope, keys)

    async def get_attributes_many(
        self, tenant_id: uuid.UUID, entity_ids: Sequence[uuid.UUID], scope: AttributeScope
    ) -> dict[uuid.UUID, list[AttributeKvEntry]]:
        """Attributes of one scope for many entities (one read, not one each)."""
        return await self._attributes.find_many(entity_ids, scope)

    async def get_attribute_keys(
        self, tenant_id: uuid.UUID, entity_id: uuid.UUID, scope: AttributeScope | None = None
    ) -> list[str]:
        """Attribute keys of an entity."""
        return await self._attributes.keys(entity_id, scope)

    async def delete_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        keys: Sequence[str],
    ) -> list[str]:
        """Delete attributes of one scope; returns (and announces) the keys that existed."""
        deleted = await self._attributes.delete(entity_id, scope, keys)
        if deleted:
            self.listeners.publish(AttributesDeleted(tenant_id, entity_id, scope, tuple(deleted)))
        return deleted
