"""v2 subscriptions: ENTITY_DATA (first page, then deltas) and ENTITY_COUNT (§4.4, §4.5).

ENTITY_DATA runs the entity data query once and replies with the page in ``data``. A
``latestCmd`` then follows the page's entities: one :class:`LiveListener` per entity,
pushing ``update`` = only the entities and keys a write changed (and only values newer
than the last one pushed, so a late point never replaces a newer latest value). A later
ENTITY_DATA with the same ``cmdId`` and no ``query`` changes the followed keys.

With ``pageLink.dynamic = true`` the page is live too: when an entity of the tenant is
created, updated, deleted, (un)assigned or related, or a key the query filters or sorts by
is written, the query is re-run (throttled, see :mod:`.refresh`) and, when the page lists
other entities or in another order, resent whole in ``data``; the followed keys move to
the new page's entities. ENTITY_COUNT is followed the same way and pushed when it changes.

``historyCmd``, ``tsCmd``, ``aggHistoryCmd`` and ``aggTsCmd`` (see :mod:`.entity_ts`) put
``timeseries``/``aggLatest`` into the page's ``EntityData`` before the first reply (or, on a
later command with the same ``cmdId`` and no ``query``, send them as ``update``); a dynamic
page that changed carries them for its new entities too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from industryos.api.ws.entity_ts import PageSeries
from industryos.api.ws.errors import BadCommand
from industryos.api.ws.live import LiveListener
from industryos.api.ws.live_query import LiveQuery
from industryos.api.ws.messages import count_update, entity_data_page, entity_data_update
from industryos.api.ws.ts_cmds import parse_series_cmds
from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.query import (
    EntityCountQuery,
    EntityDataQuery,
    EntityKey,
    parse_count_query,
    parse_data_query,
    parse_keys,
)
from industryos.entities.query.keys import ATTRIBUTE_SCOPES, EntityKeyType
from industryos.telemetry.listeners import AttributesUpdated, TelemetryEvent, TimeseriesUpdated

if TYPE_CHECKING:
    from industryos.api.ws.commands import Command
    from industryos.api.ws.session import WsSession

__all__ = [
    "EntityCountSubscription",
    "EntityDataSubscription",
    "entity_count",
    "entity_data",
    "unsubscribe",
]


def _live_keys(keys: Any) -> frozenset[str]:
    """Names of the keys whose writes can change a query's result (not entity fields)."""
    return frozenset(k.key for k in keys if k.type is not EntityKeyType.ENTITY_FIELD)


def _watch(live: LiveQuery, query: EntityCountQuery, extra: tuple[EntityKey, ...] = ()) -> None:
    """Poke ``live`` on entity changes and on writes of the filtered (or sorted) keys."""
    live.on_entities()
    live.on_telemetry(_live_keys([*(f.key for f in query.key_filters), *extra]))


class EntityDataSubscription:
    """The page of one ENTITY_DATA command and the listeners following its entities."""

    def __init__(
        self,
        session: WsSession,
        cmd_id: int,
        query: EntityDataQuery,
        entities: list[Any],
        total: int = -1,
    ) -> None:
        self.session = session
        self.cmd_id = cmd_id
        self.query = query
        self.entities: list[tuple[EntityType, uuid.UUID]] = entities
        self._total = total
        self._listeners: list[LiveListener] = []
        self._keys: tuple[EntityKey, ...] = ()
        self.live: LiveQuery | None = None
        self._ts_keys: frozenset[str] = frozenset()
        self._attr_keys: list[EntityKey] = []
        self._last_ts: dict[tuple[uuid.UUID, str, str], int] = {}
        self.series: PageSeries | None = None

    @property
    def allowed_entities(self) -> int:
        """``allowedEntities`` of the replies."""
        return self.session.services.limits.max_entities_per_data_sub

    def follow(self, keys: tuple[EntityKey, ...]) -> list[LiveListener]:
        """Listen to ``keys`` of every entity on the page (replacing earlier keys)."""
        self._unfollow()
        self._keys = keys
        self._ts_keys = frozenset(k.key for k in keys if k.type is EntityKeyType.TIME_SERIES)
        self._attr_keys = [k for k in keys if k.type in ATTRIBUTE_SCOPES]
        services = self.session.services
        self._listeners = [
            LiveListener(
                services.telemetry,
                entity_id,
                self._renderer(entity_type, entity_id),
                self.session.send,
                services.limits.max_pending,
                early=True,  # renders the event's own values
            )
            for entity_type, entity_id in self.entities
        ]
        return self._listeners

    def _renderer(self, entity_type: EntityType, entity_id: uuid.UUID) -> Any:
        ref = entity_id_json(entity_type, entity_id)

        def render(event: TelemetryEvent) -> str | None:
            latest = self._changes(entity_id, event)
            if not latest:
                return None
            update = {"entityId": ref, "latest": latest, "timeseries": {}}
            return entity_data_update(self.cmd_id, [update], self.allowed_entities)

        return render

    def _changes(self, entity_id: uuid.UUID, event: TelemetryEvent) -> dict[str, Any]:
        latest: dict[str, dict[str, dict[str, Any]]] = {}
        if type(event) is TimeseriesUpdated:
            if not self._ts_keys:
                return latest
            for entry in event.entries:
                if entry.key in self._ts_keys:
                    self._offer(latest, entity_id, "TIME_SERIES", entry.key, entry.ts, entry)
        elif type(event) is AttributesUpdated:
            for key in self._attr_keys:
                if event.scope not in ATTRIBUTE_SCOPES[key.type]:
                    continue
                for attr in event.entries:
                    if attr.key == key.key:
                        self._offer(
                            latest, entity_id, key.type.value, key.key, attr.last_update_ts, attr
                        )
        return latest

    def _offer(
        self,
        latest: dict[str, dict[str, dict[str, Any]]],
        entity_id: uuid.UUID,
        group: str,
        key: str,
        ts: int,
        entry: Any,
    ) -> None:
        """Keep ``entry`` if it is at least as new as the last value pushed for the key."""
        slot = (entity_id, group, key)
        if ts < self._last_ts.get(slot, 0):
            return
        self._last_ts[slot] = ts
        latest.setdefault(group, {})[key] = {"ts": ts, "value": entry.value_as_string()}

    def go_live(self) -> None:
        """Re-run a dynamic query when the entities it selects may have changed."""
        self.live = LiveQuery(self.session, self._refresh)
        sort_key = self.query.page_link.sort_key
        _watch(self.live, self.query, (sort_key,) if sort_key is not None else ())
        self.live.start()

    async def _refresh(self) -> None:
        page = await self.session.services.entity_query.find(self.session.caller, self.query)
        entities = [(item.entity_type, item.entity_id) for item in page.data]
        if entities == self.entities and page.total_elements == self._total:
            return
        self.entities, self._total = entities, page.total_elements
        wire = page.to_wire()
        if self.series is not None:
            await self.series.fill(entities, wire["data"])
        self.session.send(entity_data_page(self.cmd_id, wire, self.allowed_entities))
        if self.series is not None:
            self.series.start()
        if self._keys:
            for listener in self.follow(self._keys):
                listener.start()

    def _unfollow(self) -> None:
        for listener in self._listeners:
            listener.close()
        self._listeners = []

    async def run_series(self, series: PageSeries, items: list[dict[str, Any]] | None) -> None:
        """Serve ``series`` (replacing earlier ones) on this page: into ``items`` of the first
        reply, or (``items`` None) as an ``update`` of every entity on the page."""
        if self.series is not None:
            self.series.close()
        self.series = series
        if items is not None:
            await series.fill(self.entities, items)
            return
        update = [
            {"entityId": entity_id_json(t, entity_id), "latest": {}, "timeseries": {}}
            for t, entity_id in self.entities
        ]
        await series.fill(self.entities, update)
        self.session.send(entity_data_update(self.cmd_id, update, self.allowed_entities))
        series.start()

    def close(self) -> None:
        """Stop following the page."""
        self._unfollow()
        if self.series is not None:
            self.series.close()
        if self.live is not None:
            self.live.close()


async def entity_data(session: WsSession, command: Command) -> None:
    """ENTITY_DATA: the first page (with ``query``), then deltas of ``latestCmd`` keys."""
    body = command.body
    cmds = parse_series_cmds(body)
    raw_query = body.get("query")
    subscription = session.subscriptions.get(command.cmd_id)
    if raw_query is not None:
        query = parse_data_query(raw_query)
        limit = session.services.limits.max_entities_per_data_sub
        if query.page_link.page_size > limit:
            query = replace(query, page_link=replace(query.page_link, page_size=limit))
        page = await session.services.entity_query.find(session.caller, query)
        entities = [(item.entity_type, item.entity_id) for item in page.data]
        subscription = EntityDataSubscription(
            session, command.cmd_id, query, entities, page.total_elements
        )
        session.add(command.cmd_id, subscription)
        wire = page.to_wire()
        series = PageSeries(session, command.cmd_id, cmds, subscription.allowed_entities)
        if series.cmds:
            try:
                await subscription.run_series(series, wire["data"])
            except BaseException:
                session.remove(command.cmd_id)
                raise
        session.send(entity_data_page(command.cmd_id, wire, subscription.allowed_entities))
        if series.cmds:
            series.start()
        if query.page_link.dynamic:
            subscription.go_live()
    elif not isinstance(subscription, EntityDataSubscription):
        raise BadCommand("Query is missing")
    elif cmds:
        series = PageSeries(session, command.cmd_id, cmds, subscription.allowed_entities)
        await subscription.run_series(series, None)
    latest_cmd = body.get("latestCmd")
    if isinstance(latest_cmd, Mapping):
        await _follow(session, subscription, parse_keys(latest_cmd.get("keys"), "keys"))


async def _follow(
    session: WsSession, subscription: EntityDataSubscription, keys: tuple[EntityKey, ...]
) -> None:
    """Listen first, send the current values of ``keys`` as an update, then push live."""
    listeners = subscription.follow(keys)
    if subscription.entities and keys:
        ids = [str(entity_id) for _, entity_id in subscription.entities]
        by_type: dict[EntityType, list[str]] = {}
        for (entity_type, _), entity_id in zip(subscription.entities, ids, strict=True):
            by_type.setdefault(entity_type, []).append(entity_id)
        current = []
        for entity_type, type_ids in by_type.items():
            query = EntityDataQuery(
                {"type": "entityList", "entityType": entity_type.value, "entityList": type_ids},
                latest_values=keys,
            )
            query = replace(query, page_link=replace(query.page_link, page_size=len(type_ids)))
            page = await session.services.entity_query.find(session.caller, query)
            current += [item.to_wire() for item in page.data]
        session.send(
            entity_data_update(subscription.cmd_id, current, subscription.allowed_entities)
        )
    for listener in listeners:
        listener.start()


async def unsubscribe(session: WsSession, command: Command) -> None:
    """ENTITY_DATA_UNSUBSCRIBE / ENTITY_COUNT_UNSUBSCRIBE: stop the ``cmdId``."""
    session.remove(command.cmd_id)


class EntityCountSubscription:
    """One ENTITY_COUNT command: the count, pushed again whenever it changes."""

    def __init__(self, session: WsSession, cmd_id: int, query: EntityCountQuery) -> None:
        self.session = session
        self.cmd_id = cmd_id
        self.query = query
        self.count: int | None = None
        self.live = LiveQuery(session, self._refresh)

    async def open(self) -> None:
        """Listen, send the count, then follow changes."""
        _watch(self.live, self.query)
        self.count = await self.session.services.entity_query.count(self.session.caller, self.query)
        self.session.send(count_update(self.cmd_id, self.count))
        self.live.start()

    async def _refresh(self) -> None:
        count = await self.session.services.entity_query.count(self.session.caller, self.query)
        if count != self.count:
            self.count = count
            self.session.send(count_update(self.cmd_id, count))

    def close(self) -> None:
        """Stop following."""
        self.live.close()


async def entity_count(session: WsSession, command: Command) -> None:
    """ENTITY_COUNT: how many entities the query matches, then each change of that count."""
    query = parse_count_query(command.body.get("query"))
    subscription = EntityCountSubscription(session, command.cmd_id, query)
    session.add(command.cmd_id, subscription)
    try:
        await subscription.open()
    except BaseException:
        session.remove(command.cmd_id)
        raise
