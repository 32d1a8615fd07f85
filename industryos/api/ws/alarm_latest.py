"""Latest values of the entities on an ALARM_DATA page, pushed as the entities are written.

An ALARM_DATA query may show ``latestValues`` (time series, attributes) of each alarm's
entity next to the alarm. :class:`AlarmLatest` listens to telemetry of exactly the entities
on the current page (one registry entry per entity, like ENTITY_DATA's ``latestCmd``) and
reports each write of a shown key, newer than the last one reported, so the subscription
can push the affected alarms in ``update``. When the page changes, it follows the new
page's entities.

Design limit: listeners are registered after the page is read, so a write committed
between the page query and the registration is only seen with the next write of that key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from industryos.entities.query import EntityKey
from industryos.entities.query.keys import ATTRIBUTE_SCOPES, EntityKeyType
from industryos.telemetry.listeners import AttributesUpdated, TelemetryEvent, TimeseriesUpdated
from industryos.telemetry.service import TelemetryService

__all__ = ["AlarmLatest", "LatestChange"]

LatestChange = Callable[[uuid.UUID, dict[str, dict[str, Any]]], None]
"""Told ``(entity id, {key type: {key: {"ts", "value"}}})`` for each write of shown keys."""


class AlarmLatest:
    """Follows the shown keys of a set of entities."""

    def __init__(
        self, telemetry: TelemetryService, keys: Iterable[EntityKey], on_change: LatestChange
    ) -> None:
        self._telemetry = telemetry
        self._on_change = on_change
        keys = tuple(keys)
        self._ts_keys = frozenset(k.key for k in keys if k.type is EntityKeyType.TIME_SERIES)
        self._attr_keys = [k for k in keys if k.type in ATTRIBUTE_SCOPES]
        self._last_ts: dict[tuple[uuid.UUID, str, str], int] = {}
        self._removers: list[Callable[[], None]] = []
        self._following: frozenset[uuid.UUID] = frozenset()

    @property
    def wanted(self) -> bool:
        """True when the query shows keys that telemetry writes can change."""
        return bool(self._ts_keys or self._attr_keys)

    def follow(self, entity_ids: Iterable[uuid.UUID]) -> None:
        """Listen to exactly ``entity_ids`` (no-op when the set is unchanged)."""
        wanted = frozenset(entity_ids) if self.wanted else frozenset()
        if wanted == self._following:
            return
        self.close()
        self._following = wanted
        self._removers = [
            self._telemetry.subscribe(self._listener(entity_id), entity_id) for entity_id in wanted
        ]

    def _listener(self, entity_id: uuid.UUID) -> Callable[[TelemetryEvent], None]:
        def changed(event: TelemetryEvent) -> None:
            latest = self._changes(entity_id, event)
            if latest:
                self._on_change(entity_id, latest)

        return changed

    def _changes(self, entity_id: uuid.UUID, event: TelemetryEvent) -> dict[str, dict[str, Any]]:
        latest: dict[str, dict[str, Any]] = {}
        if type(event) is TimeseriesUpdated:
            for entry in event.entries:
                if entry.key in self._ts_keys:
                    self._offer(latest, entity_id, "TIME_SERIES", entry.key, entry.ts, entry)
        elif type(event) is AttributesUpdated:
            for key in self._attr_keys:
                if event.scope not in ATTRIBUTE_SCOPES[key.type]:
                    continue
                for attr in event.entries:
                    if attr.key == key.key:
                        group = key.type.value
                        self._offer(latest, entity_id, group, key.key, attr.last_update_ts, attr)
        return latest

    def _offer(
        self,
        latest: dict[str, dict[str, Any]],
        entity_id: uuid.UUID,
        group: str,
        key: str,
        ts: int,
        entry: Any,
    ) -> None:
        slot = (entity_id, group, key)
        if ts < self._last_ts.get(slot, 0):
            return
        self._last_ts[slot] = ts
        latest.setdefault(group, {})[key] = {"ts": ts, "value": entry.value_as_string()}

    def close(self) -> None:
        """Stop listening."""
        removers, self._removers = self._removers, []
        self._following = frozenset()
        for remove in removers:
            remove()
