"""``/api/alarmsQuery/find`` and ``/count`` (spec platform-api §3.6, §3.9 ``AlarmDataQuery``).

The alarms of the entities an entity filter selects, with the page link's status, severity,
type, assignee, time-window and propagation filters, as ``PageData<AlarmData>`` (``find``) or
a number (``count``). The SQL lives in :mod:`industryos.alarms.data_query` (shared with the
WebSocket ALARM_DATA subscription); every query is scoped by the caller's tenant and, for a
customer user, customer. The :class:`AlarmDataQueries` is set on ``app.state`` by
:func:`install`; without it the routes answer 404.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request

from industryos.alarms.data_query import (
    AlarmDataQueries,
    parse_alarm_count_query,
    parse_alarm_data_query,
)
from industryos.api.deps import CurrentCaller
from industryos.entities.errors import InvalidArgument, NotFound

__all__ = ["MAX_ENTITIES", "STATE_ATTRIBUTE", "install", "router"]

STATE_ATTRIBUTE = "alarm_data_queries"
"""The ``app.state`` attribute holding the :class:`AlarmDataQueries`."""

MAX_ENTITIES = 10_000
"""Entities an alarm query searches at most (ThingsBoard's ``maxEntitiesPerAlarmSubscription``)."""

router = APIRouter(prefix="/api/alarmsQuery", tags=["alarm"])


def install(app: FastAPI, queries: AlarmDataQueries) -> None:
    """Hand the routes their queries (the router itself is in ``api.app.ROUTERS``)."""
    setattr(app.state, STATE_ATTRIBUTE, queries)


def _queries(request: Request) -> AlarmDataQueries:
    queries: AlarmDataQueries | None = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if queries is None:
        raise NotFound("Alarm queries are not available on this node")
    return queries


async def _body(request: Request) -> Any:
    try:
        return orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise InvalidArgument("Invalid request body: not JSON") from None


@router.post("/find")
async def find(request: Request, caller: CurrentCaller) -> dict[str, Any]:
    """``PageData<AlarmData>`` of an ``AlarmDataQuery``."""
    query = parse_alarm_data_query(await _body(request))
    page = await _queries(request).find(caller, query, MAX_ENTITIES)
    return page.to_wire()


@router.post("/count")
async def count(request: Request, caller: CurrentCaller) -> int:
    """How many alarms an ``AlarmCountQuery`` matches."""
    query = parse_alarm_count_query(await _body(request))
    return await _queries(request).count(caller, query, MAX_ENTITIES)
