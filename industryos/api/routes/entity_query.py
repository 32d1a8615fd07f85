"""``/api/entitiesQuery/find``, ``/count`` and ``/find/keys`` (spec platform-api §3.9).

Bodies are read as raw JSON and parsed by :mod:`industryos.entities.query.model` (the
entity filter is polymorphic by ``type``; one parser serves REST and the WebSocket
commands). The :class:`EntityQueryService` is set on ``app.state`` under
:data:`STATE_ATTRIBUTE` by whoever composes the app (the node, or a test).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request

from industryos.api.deps import CurrentCaller
from industryos.entities.errors import InvalidArgument
from industryos.entities.query import EntityQueryService, parse_count_query, parse_data_query
from industryos.telemetry.kv import AttributeScope

__all__ = ["STATE_ATTRIBUTE", "install", "router"]

STATE_ATTRIBUTE = "entity_query"
"""The ``app.state`` attribute holding the :class:`EntityQueryService`."""

router = APIRouter(prefix="/api/entitiesQuery", tags=["entity-query"])


def install(app: FastAPI, service: EntityQueryService) -> None:
    """Mount the routes on ``app`` and hand them ``service``."""
    setattr(app.state, STATE_ATTRIBUTE, service)
    app.include_router(router)


def _service(request: Request) -> EntityQueryService:
    service: EntityQueryService = getattr(request.app.state, STATE_ATTRIBUTE)
    return service


Service = Annotated[EntityQueryService, Depends(_service)]


async def _body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidArgument("Invalid request body: not JSON") from None


@router.post("/find")
async def find(request: Request, caller: CurrentCaller, service: Service) -> dict[str, Any]:
    """``PageData<EntityData>`` of an ``EntityDataQuery``."""
    page = await service.find(caller, parse_data_query(await _body(request)))
    return page.to_wire()


@router.post("/count")
async def count(request: Request, caller: CurrentCaller, service: Service) -> int:
    """How many entities an ``EntityCountQuery`` matches."""
    return await service.count(caller, parse_count_query(await _body(request)))


@router.post("/find/keys")
async def find_keys(
    request: Request,
    caller: CurrentCaller,
    service: Service,
    timeseries: Annotated[bool, Query()] = True,
    attributes: Annotated[bool, Query()] = True,
    scope: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    """``AvailableEntityKeys`` of the entities on the query's page."""
    parsed_scope = None
    if scope:
        try:
            parsed_scope = AttributeScope(scope)
        except ValueError:
            raise InvalidArgument(f"Invalid scope: {scope}") from None
    query = parse_data_query(await _body(request))
    return await service.find_keys(
        caller, query, timeseries=timeseries, attributes=attributes, scope=parsed_scope
    )
