"""v1 subscriptions: TIMESERIES, ATTRIBUTES and the one-shot TIMESERIES_HISTORY (§4.4).

Subscribing checks the entity against the caller (another tenant's or customer's entity,
or an unknown one, is UNAUTHORIZED and gets no data), registers a :class:`LiveListener`,
sends the snapshot (latest values, or the ``[startTs, startTs+timeWindow)`` history) and
then pushes only the keys each write changed. ``"unsubscribe": true`` on the same
``cmdId`` stops the pushes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from industryos.api.ws.errors import AccessDenied, BadCommand
from industryos.api.ws.live import LiveListener
from industryos.api.ws.messages import Points, points_update
from industryos.entities.entity_lookup import Owner
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import EntityType
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, TsKvEntry
from industryos.telemetry.listeners import AttributesUpdated, TelemetryEvent, TimeseriesUpdated
from industryos.telemetry.query import Aggregation, TsQuery

if TYPE_CHECKING:
    from industryos.api.ws.commands import Command
    from industryos.api.ws.session import WsSession

__all__ = ["attributes", "history", "timeseries"]

Json = Mapping[str, Any]
DEFAULT_LIMIT = 100


def _int(body: Json, name: str, default: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadCommand(f"'{name}' must be a number")
    return int(value)


def _keys(body: Json) -> list[str] | None:
    raw = body.get("keys")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise BadCommand("'keys' must be a comma-separated string")
    keys = [key.strip() for key in raw.split(",") if key.strip()]
    return keys or None


async def _owner(session: WsSession, body: Json) -> Owner:
    try:
        entity_type = EntityType(str(body.get("entityType")))
        entity_id = uuid.UUID(str(body.get("entityId")))
    except ValueError:
        raise BadCommand("Invalid entityType or entityId") from None
    try:
        return await session.services.lookup.check(session.caller, entity_type, entity_id)
    except (PermissionDenied, NotFound, InvalidArgument):
        raise AccessDenied() from None


def _ts_points(
    entries: Iterable[TsKvEntry], keys: frozenset[str] | None
) -> dict[str, list[list[Any]]]:
    data: dict[str, list[list[Any]]] = {}
    for entry in entries:
        if keys is None or entry.key in keys:
            data.setdefault(entry.key, []).append([entry.ts, entry.value_as_string()])
    return data


def _attr_points(
    entries: Iterable[AttributeKvEntry], keys: frozenset[str] | None
) -> dict[str, list[list[Any]]]:
    return {
        entry.key: [[entry.last_update_ts, entry.value_as_string()]]
        for entry in entries
        if keys is None or entry.key in keys
    }


async def _subscribe(
    session: WsSession, command: Command, owner: Owner, render: Any, snapshot: Any
) -> None:
    """Listener first, then the snapshot, then live pushes (see :mod:`.live`)."""
    cmd_id = command.cmd_id
    listener = LiveListener(
        session.services.telemetry,
        owner.id,
        render,
        session.send,
        session.services.limits.max_pending,
        early=True,  # renders the event's own values
    )
    session.add(cmd_id, listener)
    try:
        data: Points = await snapshot()
    except BaseException:
        session.remove(cmd_id)
        raise
    session.send(points_update(cmd_id, data))
    listener.start()


async def timeseries(session: WsSession, command: Command) -> None:
    """TIMESERIES: latest values (or a time window), then every new point of the keys."""
    body = command.body
    if body.get("unsubscribe"):
        session.remove(command.cmd_id)
        return
    owner = await _owner(session, body)
    keys = _keys(body)
    key_set = frozenset(keys) if keys is not None else None
    cmd_id = command.cmd_id
    time_window = _int(body, "timeWindow", 0)
    telemetry = session.services.telemetry

    def render(event: TelemetryEvent) -> str | None:
        if type(event) is not TimeseriesUpdated:
            return None
        data = _ts_points(event.entries, key_set)
        return points_update(cmd_id, data) if data else None

    async def snapshot() -> Points:
        if time_window <= 0:
            latest = await telemetry.get_latest(owner.tenant_id, owner.id, keys)
            return _ts_points(latest, None)
        start = _int(body, "startTs", 0)
        found = await _history(session, owner, keys, body, start, start + time_window)
        return {key: [[p.ts, p.value_as_string()] for p in points] for key, points in found.items()}

    await _subscribe(session, command, owner, render, snapshot)


async def attributes(session: WsSession, command: Command) -> None:
    """ATTRIBUTES: current values of one scope (or all), then every change of the keys."""
    body = command.body
    if body.get("unsubscribe"):
        session.remove(command.cmd_id)
        return
    owner = await _owner(session, body)
    keys = _keys(body)
    key_set = frozenset(keys) if keys is not None else None
    scope = None
    if body.get("scope"):
        try:
            scope = AttributeScope(body["scope"])
        except ValueError:
            raise BadCommand(f"Invalid scope: {body['scope']}") from None
    cmd_id = command.cmd_id
    telemetry = session.services.telemetry

    def render(event: TelemetryEvent) -> str | None:
        if type(event) is not AttributesUpdated or (scope is not None and event.scope is not scope):
            return None
        data = _attr_points(event.entries, key_set)
        return points_update(cmd_id, data) if data else None

    async def snapshot() -> Points:
        found = await telemetry.get_attributes(owner.tenant_id, owner.id, scope, keys)
        data: dict[str, list[list[Any]]] = {}
        for entries in found.values():
            data.update(_attr_points(entries, None))
        return data

    await _subscribe(session, command, owner, render, snapshot)


async def _history(
    session: WsSession, owner: Owner, keys: list[str] | None, body: Json, start: int, end: int
) -> dict[str, list[TsKvEntry]]:
    telemetry = session.services.telemetry
    if keys is None:
        keys = await telemetry.get_timeseries_keys(owner.tenant_id, owner.id)
    try:
        agg = Aggregation(body.get("agg") or "NONE")
    except ValueError:
        raise BadCommand(f"Invalid aggregation: {body.get('agg')}") from None
    limit = _int(body, "limit", DEFAULT_LIMIT)
    interval = _int(body, "interval", 0)
    queries = [TsQuery(key, start, end, agg=agg, interval=interval, limit=limit) for key in keys]
    if not queries:
        return {}
    return await telemetry.get_history(owner.tenant_id, owner.id, queries)


async def history(session: WsSession, command: Command) -> None:
    """TIMESERIES_HISTORY: one reply with ``[startTs, endTs)`` of the keys."""
    body = command.body
    owner = await _owner(session, body)
    start = _int(body, "startTs", 0)
    end = _int(body, "endTs", start)
    found = await _history(session, owner, _keys(body), body, start, end)
    data = {key: [[p.ts, p.value_as_string()] for p in points] for key, points in found.items()}
    session.send(points_update(command.cmd_id, data))
