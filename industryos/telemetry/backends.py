"""What the telemetry service needs from storage, as protocols the storage layer satisfies.

``storage.timeseries`` (``TsBatchWriter``, ``TimeseriesStore``) and ``storage.attributes``
(``AttributeRepository``) implement these structurally; a test can hand the service a fake,
and another time-series backend only has to match them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, KvEntry, TsKvEntry
from industryos.telemetry.query import TsQuery

__all__ = [
    "AttributeStore",
    "AttributeWrite",
    "LatestChanges",
    "TimeseriesReader",
    "TimeseriesWriter",
]

AttributeWrite = tuple[uuid.UUID, AttributeScope, Sequence[KvEntry]]
"""One entity's attributes of one scope: ``(entity_id, scope, entries)``."""


@dataclass(frozen=True, slots=True)
class LatestChanges:
    """What a range delete did to latest values: keys removed, points rewritten as latest."""

    removed: tuple[str, ...] = ()
    rewritten: tuple[TsKvEntry, ...] = ()


class TimeseriesWriter(Protocol):
    """The batch writer: the only way points reach storage."""

    async def write(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> None:
        """Store ``entries``; return once they are committed."""

    async def enqueue(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> asyncio.Future[None]:
        """Give ``entries`` their place (waiting for room); the future resolves at commit."""

    def submit(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> asyncio.Future[None]:
        """Buffer ``entries`` without waiting; the future resolves at commit."""


class TimeseriesReader(Protocol):
    """Reads and range deletes of stored time series."""

    async def latest(
        self, entity_id: uuid.UUID, keys: Iterable[str] | None = None
    ) -> list[TsKvEntry]:
        """The newest point of each key."""

    async def latest_many(
        self, entity_ids: Sequence[uuid.UUID], keys: Iterable[str]
    ) -> dict[uuid.UUID, list[TsKvEntry]]:
        """The newest point of each key, for many entities at once."""

    async def history(
        self, entity_id: uuid.UUID, queries: Sequence[TsQuery]
    ) -> dict[str, list[TsKvEntry]]:
        """Raw or aggregated points per query key."""

    async def keys(self, entity_id: uuid.UUID) -> list[str]:
        """The keys an entity has time series for."""

    async def delete(
        self,
        entity_id: uuid.UUID,
        keys: Iterable[str],
        start_ts: int,
        end_ts: int,
        *,
        delete_latest: bool = True,
        rewrite_latest: bool = False,
    ) -> LatestChanges:
        """Delete a ts range of some keys."""


class AttributeStore(Protocol):
    """Attributes by entity, scope and key."""

    async def save(
        self,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: Sequence[KvEntry],
        ts: int | None = None,
    ) -> list[AttributeKvEntry]:
        """Upsert attributes of one scope."""

    async def save_many(
        self, writes: Sequence[AttributeWrite], ts: int | None = None
    ) -> list[list[AttributeKvEntry]]:
        """Upsert several entities' attributes in one transaction."""

    async def find(
        self,
        entity_id: uuid.UUID,
        scope: AttributeScope | None = None,
        keys: Iterable[str] | None = None,
    ) -> dict[AttributeScope, list[AttributeKvEntry]]:
        """Attributes per scope."""

    async def find_many(
        self, entity_ids: Sequence[uuid.UUID], scope: AttributeScope
    ) -> dict[uuid.UUID, list[AttributeKvEntry]]:
        """Attributes of one scope for many entities."""

    async def keys(self, entity_id: uuid.UUID, scope: AttributeScope | None = None) -> list[str]:
        """Attribute keys."""

    async def delete(
        self, entity_id: uuid.UUID, scope: AttributeScope, keys: Iterable[str]
    ) -> list[str]:
        """Delete attributes; returns the keys that existed."""
