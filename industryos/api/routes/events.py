"""Events REST (ThingsBoard's ``EventController``, spec platform-api §3.10).

* ``GET /api/events/{entityType}/{entityId}/{eventType}`` — a page of one type's events;
* ``POST /api/events/{entityType}/{entityId}`` with an ``EventFilter`` body — filtered page;
* ``GET /api/events/{entityType}/{entityId}`` — lifecycle events (deprecated in ThingsBoard);
* ``POST /api/events/{entityType}/{entityId}/clear`` with an ``EventFilter`` — delete.

Pages take ``pageSize``, ``page``, ``sortProperty`` (``ts``/``createdTime``/``id``),
``sortOrder``, ``startTime``, ``endTime``; newest first by default. ``tenantId`` is accepted
for compatibility but never widens the scope: events are read in the caller's tenant.
The :class:`EventQueries` is set on ``app.state`` by :func:`install`; without it the routes
answer 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Query, Request

from industryos.api.deps import CurrentCaller, TimePage
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import EntityType
from industryos.rules.events import Event, EventQueries, EventType
from industryos.rules.events.model import event_type
from industryos.rules.events.queries import filter_conditions

__all__ = ["STATE_ATTRIBUTE", "install", "router"]

STATE_ATTRIBUTE = "rule_events"
"""The ``app.state`` attribute holding the :class:`EventQueries`."""

router = APIRouter(prefix="/api", tags=["event"])
Json = dict[str, Any]
TenantParam = Annotated[str | None, Query(alias="tenantId")]


def install(app: FastAPI, queries: EventQueries) -> None:
    """Hand the routes their queries (the router itself is in ``api.app.ROUTERS``)."""
    setattr(app.state, STATE_ATTRIBUTE, queries)


def _queries(request: Request) -> EventQueries:
    queries: EventQueries | None = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if queries is None:
        raise NotFound("Events are not available on this node")
    return queries


def _entity_type(value: str) -> EntityType:
    try:
        return EntityType(value.upper())
    except ValueError:
        raise InvalidArgument(f"Invalid entity type: {value}") from None


def _event_type(value: str) -> EventType:
    kind = event_type(value)
    if kind is None:
        raise InvalidArgument(f"Event type: '{value}' is not supported!")
    return kind


@router.get("/events/{entity_type}/{entity_id}/{event_type_name}")
async def events_by_type(
    request: Request,
    entity_type: str,
    entity_id: uuid.UUID,
    event_type_name: str,
    caller: CurrentCaller,
    link: TimePage,
    tenant_id: TenantParam = None,
) -> Json:
    """A page of the entity's events of one type."""
    page = await _queries(request).page(
        caller, _entity_type(entity_type), entity_id, _event_type(event_type_name), link
    )
    return page.to_wire(Event.to_wire)


@router.get("/events/{entity_type}/{entity_id}")
async def lifecycle_events(
    request: Request,
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    link: TimePage,
    tenant_id: TenantParam = None,
) -> Json:
    """Lifecycle events (what ThingsBoard's deprecated untyped list returns)."""
    page = await _queries(request).page(
        caller, _entity_type(entity_type), entity_id, EventType.LC_EVENT, link
    )
    return page.to_wire(Event.to_wire)


@router.post("/events/{entity_type}/{entity_id}")
async def events_by_filter(
    request: Request,
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    link: TimePage,
    body: Annotated[Any, Body()],
    tenant_id: TenantParam = None,
) -> Json:
    """A page of the entity's events matching an ``EventFilter``."""
    kind, conditions = filter_conditions(body)
    page = await _queries(request).page(
        caller, _entity_type(entity_type), entity_id, kind, link, conditions
    )
    return page.to_wire(Event.to_wire)


@router.post("/events/{entity_type}/{entity_id}/clear")
async def clear_events(
    request: Request,
    entity_type: str,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    body: Annotated[Any, Body()],
    start_time: Annotated[int | None, Query(alias="startTime")] = None,
    end_time: Annotated[int | None, Query(alias="endTime")] = None,
) -> None:
    """Delete the entity's events matching an ``EventFilter`` (200, empty body)."""
    await _queries(request).clear(
        caller, _entity_type(entity_type), entity_id, body, start_time, end_time
    )
