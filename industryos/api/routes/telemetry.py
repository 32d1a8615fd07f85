"""Telemetry and attribute REST under ``/api/plugins/telemetry`` (spec platform-api §3.5).

Bodies are read raw and parsed by :mod:`industryos.telemetry.parse` (ThingsBoard's type
rules depend on the text of numbers, which a pydantic model would lose). Values render as
strings unless ``useStrictDataTypes=true``. Errors of the telemetry layer are bad input:
they leave here as 400 with the usual error body, ``Invalid scope: …`` included.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from industryos.api.deps import Context, CurrentCaller
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType, now_ms
from industryos.telemetry.errors import TelemetryError
from industryos.telemetry.kv import TS_MAX, TS_MIN, AttributeKvEntry, AttributeScope, TsKvEntry
from industryos.telemetry.parse import REST, attributes_from_json, loads, telemetry_from_json
from industryos.telemetry.query import Aggregation, IntervalType, Order, TsQuery

router = APIRouter(prefix="/api/plugins/telemetry", tags=["telemetry"])

ENTITY = "/{entity_type}/{entity_id}"
WRITABLE_SCOPES = (AttributeScope.SERVER_SCOPE, AttributeScope.SHARED_SCOPE)

Keys = Annotated[str | None, Query(alias="keys")]
RepeatedKey = Annotated[list[str] | None, Query(alias="key")]
Strict = Annotated[bool, Query(alias="useStrictDataTypes")]
Json = dict[str, Any]


@contextmanager
def _bad_input() -> Iterator[None]:
    """Telemetry-layer errors are the caller's fault: 400 with the contract's body."""
    try:
        yield
    except TelemetryError as exc:
        raise InvalidArgument(str(exc)) from exc


def _keys(keys: str | None, key: list[str] | None) -> list[str] | None:
    """``key=`` repeated (for keys with commas) wins over comma-separated ``keys=``."""
    if key:
        return key
    if keys is None:
        return None
    parsed = [k.strip() for k in keys.split(",") if k.strip()]
    return parsed or None


def _scope(value: str, allowed: Sequence[AttributeScope] = tuple(AttributeScope)) -> AttributeScope:
    try:
        scope = AttributeScope(value)
    except ValueError:
        raise InvalidArgument(f"Invalid scope: {value}") from None
    if scope not in allowed:
        raise InvalidArgument(f"Invalid scope: {value}")
    return scope


def _series(entries: Sequence[TsKvEntry], strict: bool) -> dict[str, list[Json]]:
    result: dict[str, list[Json]] = {}
    for entry in entries:
        result.setdefault(entry.key, []).append({"ts": entry.ts, "value": entry.rest_value(strict)})
    return result


def _attributes(entries: Sequence[AttributeKvEntry]) -> list[Json]:
    return [
        {"key": e.key, "value": e.native_value(), "lastUpdateTs": e.last_update_ts} for e in entries
    ]


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise InvalidArgument("Request body is required")
    with _bad_input():
        return loads(raw)


# Keys


@router.get(ENTITY + "/keys/timeseries")
async def timeseries_keys(
    entity_type: EntityType, entity_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> list[str]:
    """The entity's time-series keys."""
    return await context.telemetry_access.timeseries_keys(caller, entity_type, entity_id)


@router.get(ENTITY + "/keys/attributes")
async def attribute_keys(
    entity_type: EntityType, entity_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> list[str]:
    """The entity's attribute keys, every scope."""
    return await context.telemetry_access.attribute_keys(caller, entity_type, entity_id, None)


@router.get(ENTITY + "/keys/attributes/{scope}")
async def attribute_keys_by_scope(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    caller: CurrentCaller,
    context: Context,
) -> list[str]:
    """The entity's attribute keys of one scope."""
    return await context.telemetry_access.attribute_keys(
        caller, entity_type, entity_id, _scope(scope)
    )


# Attribute values


@router.get(ENTITY + "/values/attributes")
async def attribute_values(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    keys: Keys = None,
    key: RepeatedKey = None,
) -> list[Json]:
    """Attribute values of every scope."""
    found = await context.telemetry_access.attributes(
        caller, entity_type, entity_id, None, _keys(keys, key)
    )
    return _attributes(found)


@router.get(ENTITY + "/values/attributes/{scope}")
async def attribute_values_by_scope(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    caller: CurrentCaller,
    context: Context,
    keys: Keys = None,
    key: RepeatedKey = None,
) -> list[Json]:
    """Attribute values of one scope."""
    found = await context.telemetry_access.attributes(
        caller, entity_type, entity_id, _scope(scope), _keys(keys, key)
    )
    return _attributes(found)


# Time-series values


class HistoryParams:
    """The history query string, shared by ``/values/timeseries`` and its 4.4 alias."""

    def __init__(
        self,
        start_ts: Annotated[int | None, Query(alias="startTs")] = None,
        end_ts: Annotated[int | None, Query(alias="endTs")] = None,
        interval: Annotated[int, Query()] = 0,
        interval_type: Annotated[IntervalType, Query(alias="intervalType")] = (
            IntervalType.MILLISECONDS
        ),
        time_zone: Annotated[str, Query(alias="timeZone")] = "UTC",
        limit: Annotated[int, Query()] = 100,
        agg: Annotated[Aggregation, Query()] = Aggregation.NONE,
        order_by: Annotated[Order, Query(alias="orderBy")] = Order.DESC,
    ) -> None:
        self.start_ts = start_ts
        self.end_ts = end_ts
        self.interval = interval
        self.interval_type = interval_type
        self.time_zone = time_zone
        self.limit = limit
        self.agg = agg
        self.order = order_by

    @property
    def is_history(self) -> bool:
        """True when a range was given (else the request asks for latest values)."""
        return self.start_ts is not None or self.end_ts is not None

    def query(self, key: str) -> TsQuery:
        """The history query of one key (validated: bad intervals raise 400)."""
        if self.start_ts is None or self.end_ts is None:
            raise InvalidArgument("Both 'startTs' and 'endTs' are required")
        with _bad_input():
            return TsQuery(
                key=key,
                start_ts=self.start_ts,
                end_ts=self.end_ts,
                agg=self.agg,
                interval=self.interval,
                interval_type=self.interval_type,
                time_zone=self.time_zone,
                limit=self.limit,
                order=self.order,
            )


History = Annotated[HistoryParams, Depends()]


async def _history(
    context: Context,
    caller: CurrentCaller,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    keys: list[str] | None,
    params: HistoryParams,
    strict: bool,
) -> dict[str, list[Json]]:
    if keys:
        for key in keys:
            params.query(key)  # validate before touching storage
    with _bad_input():
        found = await context.telemetry_access.history(
            caller, entity_type, entity_id, keys, params.query
        )
    return {
        key: [{"ts": e.ts, "value": e.rest_value(strict)} for e in entries]
        for key, entries in found.items()
        if entries
    }


@router.get(ENTITY + "/values/timeseries")
async def timeseries_values(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    params: History,
    keys: Keys = None,
    key: RepeatedKey = None,
    strict: Strict = False,
) -> dict[str, list[Json]]:
    """Latest values, or history when ``startTs``/``endTs`` are given."""
    wanted = _keys(keys, key)
    if params.is_history:
        return await _history(context, caller, entity_type, entity_id, wanted, params, strict)
    latest = await context.telemetry_access.latest(caller, entity_type, entity_id, wanted)
    return _series(latest, strict)


@router.get(ENTITY + "/values/timeseries/history")
async def timeseries_history(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    params: History,
    keys: Keys = None,
    key: RepeatedKey = None,
    strict: Strict = False,
) -> dict[str, list[Json]]:
    """History over ``[startTs, endTs)`` (the 4.4 alias tb-rest-client calls)."""
    return await _history(context, caller, entity_type, entity_id, _keys(keys, key), params, strict)


# Writes


async def _save_timeseries(
    request: Request,
    caller: CurrentCaller,
    context: Context,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    ttl_s: int,
) -> Response:
    body = await _json_body(request)
    with _bad_input():
        entries = telemetry_from_json(body, now_ms(), REST)
    if not entries:
        raise InvalidArgument("No timeseries data found in request body!")
    with _bad_input():
        await context.telemetry_access.save_timeseries(
            caller, entity_type, entity_id, entries, ttl_s
        )
    return Response(status_code=200)


@router.post(ENTITY + "/timeseries/{scope}")
async def save_timeseries(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    request: Request,
    caller: CurrentCaller,
    context: Context,
) -> Response:
    """Save telemetry (``{scope}`` is ignored; clients send ``ANY``)."""
    return await _save_timeseries(request, caller, context, entity_type, entity_id, 0)


@router.post(ENTITY + "/timeseries/{scope}/{ttl}")
async def save_timeseries_with_ttl(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    ttl: Annotated[int, Path(ge=0)],
    request: Request,
    caller: CurrentCaller,
    context: Context,
) -> Response:
    """Save telemetry kept for ``ttl`` seconds."""
    return await _save_timeseries(request, caller, context, entity_type, entity_id, ttl)


async def _save_attributes(
    request: Request,
    caller: CurrentCaller,
    context: Context,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
) -> Response:
    writable = _scope(scope, WRITABLE_SCOPES)
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise InvalidArgument("Request body must be a JSON object of attributes")
    with _bad_input():
        entries = attributes_from_json(body, REST)
    if not entries:
        raise InvalidArgument("No attributes data found in request body!")
    with _bad_input():
        await context.telemetry_access.save_attributes(
            caller, entity_type, entity_id, writable, entries
        )
    return Response(status_code=200)


@router.post(ENTITY + "/attributes/{scope}")
async def save_entity_attributes_v2(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    request: Request,
    caller: CurrentCaller,
    context: Context,
) -> Response:
    """Save SERVER_SCOPE or SHARED_SCOPE attributes."""
    return await _save_attributes(request, caller, context, entity_type, entity_id, scope)


@router.post(ENTITY + "/{scope}")
async def save_entity_attributes_v1(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    request: Request,
    caller: CurrentCaller,
    context: Context,
) -> Response:
    """Save attributes (older path form)."""
    return await _save_attributes(request, caller, context, entity_type, entity_id, scope)


@router.post("/{device_id}/{scope}")
async def save_device_attributes(
    device_id: uuid.UUID, scope: str, request: Request, caller: CurrentCaller, context: Context
) -> Response:
    """Save attributes of a device (device shortcut path)."""
    return await _save_attributes(request, caller, context, EntityType.DEVICE, device_id, scope)


# Deletes


@router.delete(ENTITY + "/timeseries/delete")
async def delete_timeseries(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    keys: Keys = None,
    key: RepeatedKey = None,
    delete_all: Annotated[bool, Query(alias="deleteAllDataForKeys")] = False,
    start_ts: Annotated[int | None, Query(alias="startTs")] = None,
    end_ts: Annotated[int | None, Query(alias="endTs")] = None,
    delete_latest: Annotated[bool, Query(alias="deleteLatest")] = True,
    rewrite_latest: Annotated[bool, Query(alias="rewriteLatestIfDeleted")] = False,
) -> Response:
    """Delete a range (or all data) of some keys."""
    wanted = _keys(keys, key)
    if not wanted:
        raise InvalidArgument("Parameter 'keys' is required and must not be empty")
    if delete_all:
        start, end = TS_MIN, TS_MAX + 1
    elif start_ts is None or end_ts is None:
        raise InvalidArgument("'startTs' and 'endTs' are required unless deleteAllDataForKeys")
    else:
        start, end = start_ts, end_ts
    with _bad_input():
        await context.telemetry_access.delete_timeseries(
            caller,
            entity_type,
            entity_id,
            wanted,
            start,
            end,
            delete_latest=delete_latest,
            rewrite_latest=rewrite_latest,
        )
    return Response(status_code=200)


async def _delete_attributes(
    caller: CurrentCaller,
    context: Context,
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    keys: list[str] | None,
) -> Response:
    parsed = _scope(scope)
    if not keys:
        raise InvalidArgument("Parameter 'keys' is required and must not be empty")
    await context.telemetry_access.delete_attributes(caller, entity_type, entity_id, parsed, keys)
    return Response(status_code=200)


@router.delete(ENTITY + "/{scope}")
async def delete_entity_attributes(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    scope: str,
    caller: CurrentCaller,
    context: Context,
    keys: Keys = None,
    key: RepeatedKey = None,
) -> Response:
    """Delete attributes of one scope."""
    return await _delete_attributes(
        caller, context, entity_type, entity_id, scope, _keys(keys, key)
    )


@router.delete("/{device_id}/{scope}")
async def delete_device_attributes(
    device_id: uuid.UUID,
    scope: str,
    caller: CurrentCaller,
    context: Context,
    keys: Keys = None,
    key: RepeatedKey = None,
) -> Response:
    """Delete attributes of a device (device shortcut path)."""
    return await _delete_attributes(
        caller, context, EntityType.DEVICE, device_id, scope, _keys(keys, key)
    )
