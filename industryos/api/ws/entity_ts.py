"""Time series on an ENTITY_DATA page: history, live points and aggregates of its entities.

:class:`PageSeries` serves the :mod:`.ts_cmds` of one subscription. :meth:`PageSeries.fill`
registers the live listeners first (see :mod:`.live`), then reads the ``historyCmd`` and
``tsCmd`` points and the ``aggHistoryCmd``/``aggTsCmd`` aggregates of every entity on the
page through the telemetry service (the store queries REST ``/values/timeseries`` uses)
into the page's ``EntityData``: ``timeseries`` = ``{key: [{ts, value}]}`` (newest first,
as ThingsBoard orders them) and ``aggLatest`` = ``{id: {current, previous}}``. After the
reply is out, :meth:`PageSeries.start` pushes:

* ``tsCmd``: each new point of its keys at or after ``startTs``, as ``update`` =
  ``[{entityId, latest: {}, timeseries: {key: [{ts, value}]}}]``; raw points, also when
  the command asked for ``agg`` (ThingsBoard's widgets aggregate live points themselves);
  pushed once the batch writer accepted them, or once committed when the subscription
  also has an ``aggTsCmd`` (one listener per entity serves both);
* ``aggTsCmd``: the aggregates of the entities whose keys were written, re-read from the
  store (throttled by :class:`.refresh.Refresher`, no reads on the write path) over
  ``[startTs, max(startTs + timeWindow, newest point + 1))`` and pushed in ``aggLatest``
  when they changed.

Design limits: ``fetchLatestPreviousPoint`` adds the newest *raw* point of the year before
the window, also to aggregated series; the page's entities are read one after another.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from industryos.api.ws.live import LiveListener
from industryos.api.ws.messages import entity_data_update
from industryos.api.ws.refresh import Refresher
from industryos.api.ws.ts_cmds import AggCmd, AggKey, SeriesCmd, SeriesCmds, aggregate_query
from industryos.entities.ids import EntityType, entity_id_json
from industryos.telemetry.kv import TsKvEntry
from industryos.telemetry.listeners import TelemetryEvent, TimeseriesDeleted, TimeseriesUpdated
from industryos.telemetry.query import Aggregation, midpoint

if TYPE_CHECKING:
    from industryos.api.ws.session import WsSession

__all__ = ["EMPTY", "PageSeries"]

Json = dict[str, Any]
Entities = Sequence[tuple[EntityType, uuid.UUID]]

EMPTY: Json = {"ts": 0, "value": ""}
"""``TsValue.EMPTY``: an aggregate without data (SUM and COUNT are ``"0"`` instead)."""

_ZERO_WHEN_EMPTY = frozenset({Aggregation.SUM, Aggregation.COUNT})


def _ts_value(entry: TsKvEntry) -> Json:
    return {"ts": entry.ts, "value": entry.value_as_string()}


class PageSeries:
    """The time-series commands of one ENTITY_DATA subscription and their live pushes."""

    def __init__(self, session: WsSession, cmd_id: int, cmds: SeriesCmds, allowed: int) -> None:
        self._session = session
        self._cmd_id = cmd_id
        self.cmds = cmds
        self._allowed = allowed
        self._listeners: list[LiveListener] = []
        self._refs: dict[uuid.UUID, dict[str, str]] = {}
        self._pushed: dict[uuid.UUID, Json] = {}
        """The ``aggTsCmd`` aggregates last sent, per entity."""
        self._dirty: set[uuid.UUID] = set()
        self._newest = 0
        self._refresher: Refresher | None = None
        if cmds.agg_ts is not None:
            interval = session.services.limits.refresh_interval_s
            self._refresher = Refresher(self._refresh_aggregates, interval)

    @property
    def live(self) -> bool:
        """True when the commands push updates (``tsCmd`` or ``aggTsCmd``)."""
        return self.cmds.ts is not None or self.cmds.agg_ts is not None

    async def fill(self, entities: Entities, items: list[Json]) -> None:
        """Follow ``entities`` and put their series and aggregates into ``items`` (same order)."""
        self._unfollow()
        self._refs = {entity_id: entity_id_json(t, entity_id) for t, entity_id in entities}
        if self.live:
            self._follow(entities)
        cmds = self.cmds
        for (_, entity_id), item in zip(entities, items, strict=True):
            series: dict[str, list[Json]] = {}
            for cmd in (cmds.history, cmds.ts):
                if cmd is not None:
                    series.update(await self._series(entity_id, cmd))
            item["timeseries"] = series
            aggregates: Json = {}
            if cmds.agg_history is not None:
                aggregates.update(await self._aggregates(entity_id, cmds.agg_history, True))
            if cmds.agg_ts is not None:
                current = await self._aggregates(entity_id, cmds.agg_ts, False)
                self._pushed[entity_id] = current
                aggregates.update(current)
            if cmds.agg_history is not None or cmds.agg_ts is not None:
                item["aggLatest"] = aggregates

    def start(self) -> None:
        """The reply with the series is out: deliver held points, then push live."""
        for listener in self._listeners:
            listener.start()
        if self._refresher is not None:
            self._refresher.start()

    def close(self) -> None:
        """Stop pushing."""
        self._unfollow()
        if self._refresher is not None:
            self._refresher.close()

    def _follow(self, entities: Entities) -> None:
        services = self._session.services
        self._listeners = [
            LiveListener(
                services.telemetry,
                entity_id,
                self._renderer(entity_id),
                self._session.send,
                services.limits.max_pending,
                # aggTsCmd re-reads the store on a change: it needs the committed points
                early=self.cmds.agg_ts is None,
            )
            for _, entity_id in entities
        ]

    def _unfollow(self) -> None:
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.close()
        self._dirty.clear()

    def _renderer(self, entity_id: uuid.UUID) -> Any:
        ts_cmd = self.cmds.ts
        keys = frozenset(ts_cmd.keys) if ts_cmd is not None else frozenset()
        start = ts_cmd.start_ts if ts_cmd is not None else 0
        agg_keys = self.cmds.agg_ts.key_names if self.cmds.agg_ts is not None else frozenset()

        def render(event: TelemetryEvent) -> str | None:
            if type(event) is TimeseriesDeleted and not agg_keys.isdisjoint(event.keys):
                self._aggregate_later(entity_id, 0)
            if type(event) is not TimeseriesUpdated:
                return None
            series: dict[str, list[Json]] = {}
            for entry in event.entries:
                if entry.key in agg_keys:
                    self._aggregate_later(entity_id, entry.ts)
                if entry.key in keys and entry.ts >= start:
                    series.setdefault(entry.key, []).append(_ts_value(entry))
            if not series:
                return None
            update = {"entityId": self._refs[entity_id], "latest": {}, "timeseries": series}
            return entity_data_update(self._cmd_id, [update], self._allowed)

        return render

    def _aggregate_later(self, entity_id: uuid.UUID, ts: int) -> None:
        self._dirty.add(entity_id)
        self._newest = max(self._newest, ts)
        if self._refresher is not None:
            self._refresher.poke()

    async def _refresh_aggregates(self) -> None:
        cmd = self.cmds.agg_ts
        if cmd is None or not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        window = replace(cmd, end_ts=max(cmd.end_ts, self._newest + 1))
        updates = []
        for entity_id in [e for e in self._refs if e in dirty]:
            current = await self._aggregates(entity_id, window, False)
            if current != self._pushed.get(entity_id):
                self._pushed[entity_id] = current
                ref = self._refs[entity_id]
                updates.append(
                    {"entityId": ref, "latest": {}, "timeseries": {}, "aggLatest": current}
                )
        if updates:
            self._session.send(entity_data_update(self._cmd_id, updates, self._allowed))

    async def _series(self, entity_id: uuid.UUID, cmd: SeriesCmd) -> dict[str, list[Json]]:
        if not cmd.keys:
            return {}
        telemetry = self._session.services.telemetry
        tenant_id = self._session.caller.tenant_id
        found = await telemetry.get_history(tenant_id, entity_id, cmd.queries)
        series = {key: [_ts_value(p) for p in found.get(key, [])] for key in cmd.keys}
        if cmd.fetch_previous:
            before = await telemetry.get_history(tenant_id, entity_id, cmd.previous_queries())
            for key, points in before.items():
                series[key] = sorted(
                    [*series[key], *map(_ts_value, points)], key=lambda v: -int(v["ts"])
                )
        return series

    async def _aggregates(self, entity_id: uuid.UUID, cmd: AggCmd, previous: bool) -> Json:
        """``aggLatest`` of one entity: ``{str(id): {"current", "previous"}}``."""
        result: Json = {}
        for key in cmd.keys:
            current = None
            if not key.previous_only:
                current = await self._aggregate(entity_id, key, cmd.start_ts, cmd.end_ts)
            before = None
            if previous and key.has_previous:
                start, end = key.previous_start_ts or 0, key.previous_end_ts or 0
                before = await self._aggregate(entity_id, key, start, end)
            if current is None and before is None:
                current, before = EMPTY, EMPTY
            result[str(key.id)] = {"current": current, "previous": before}
        return result

    async def _aggregate(self, entity_id: uuid.UUID, key: AggKey, start: int, end: int) -> Json:
        query = aggregate_query(key, start, end)
        telemetry = self._session.services.telemetry
        found = await telemetry.get_history(self._session.caller.tenant_id, entity_id, [query])
        points = found.get(key.key)
        if points:
            return _ts_value(points[0])
        if key.agg in _ZERO_WHEN_EMPTY:
            return {"ts": midpoint(start, end), "value": "0"}
        return EMPTY
