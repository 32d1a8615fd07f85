"""REST calls into the rule engine (ThingsBoard's ``RuleEngineController``).

``POST /api/rule-engine/`` (originator: the calling user), ``/api/rule-engine/{entityType}/
{entityId}``, ``…/{timeout}`` and ``…/{queueName}/{timeout}``: the JSON body becomes a
REST_API_REQUEST message about that entity (which the caller must be allowed to see), queued
durably, and the request waits up to ``timeout`` ms (default 10 000) for the chain's
"rest call reply" node. The reply body is the response; no reply in time is 408 with an
empty body, as in ThingsBoard. The :class:`RuleEngineCalls` is set on ``app.state`` by
:func:`install`; without it the routes answer 404.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request, Response

from industryos.api.deps import CurrentCaller
from industryos.entities.access import Caller
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg
from industryos.queue.interface import QueueProducer
from industryos.rules.nodes.rest_reply import REST_API_REQUEST, RestApiCalls

__all__ = ["STATE_ATTRIBUTE", "RuleEngineCalls", "install", "router"]

STATE_ATTRIBUTE = "rule_engine_calls"
DEFAULT_TIMEOUT_MS = 10_000
MAX_TIMEOUT_MS = 60_000

router = APIRouter(prefix="/api/rule-engine", tags=["rule-engine"])


@dataclass(frozen=True, slots=True)
class RuleEngineCalls:
    """What the routes need: waiting calls, the queue, entity access checks."""

    calls: RestApiCalls
    queue: QueueProducer
    lookup: EntityLookup
    default_queue: str = "Main"


def install(app: FastAPI, calls: RuleEngineCalls) -> None:
    """Hand the routes their services (the router itself is in ``api.app.ROUTERS``)."""
    setattr(app.state, STATE_ATTRIBUTE, calls)


def _calls(request: Request) -> RuleEngineCalls:
    calls: RuleEngineCalls | None = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if calls is None:
        raise NotFound("The rule engine is not available on this node")
    return calls


async def _body(request: Request) -> str:
    raw = await request.body()
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidArgument("Invalid request body: not JSON") from None
    return raw.decode()


async def _call(
    request: Request,
    caller: Caller,
    originator: EntityRef,
    queue_name: str | None,
    timeout_ms: int,
) -> Response:
    if caller.is_sys_admin:
        raise PermissionDenied()
    services = _calls(request)
    if originator.entity_type is not EntityType.USER or originator.id != caller.user_id:
        await services.lookup.check(caller, originator.entity_type, originator.id)
    timeout_ms = max(1, min(timeout_ms, MAX_TIMEOUT_MS))
    data = await _body(request)
    request_id, metadata = services.calls.open(timeout_ms)
    msg = Msg(
        type=REST_API_REQUEST,
        originator=originator,
        tenant_id=caller.tenant_id,
        customer_id=caller.customer_id,
        data=data,
        metadata=metadata,
    )
    try:
        await services.queue.append(queue_name or services.default_queue, msg)
    except Exception:
        services.calls.cancel(request_id)
        raise
    reply = await services.calls.wait(request_id, timeout_ms / 1000)
    if reply is None:
        return Response(status_code=408)
    return Response(reply, media_type="application/json")


def _entity(entity_type: str, entity_id: uuid.UUID) -> EntityRef:
    try:
        return EntityRef(EntityType(entity_type.upper()), entity_id)
    except ValueError:
        raise InvalidArgument(f"Invalid entity type: {entity_type}") from None


@router.post("/")
async def call_as_user(request: Request, caller: CurrentCaller) -> Response:
    """The calling user is the originator."""
    originator = EntityRef(EntityType.USER, caller.user_id)
    return await _call(request, caller, originator, None, DEFAULT_TIMEOUT_MS)


@router.post("/{entity_type}/{entity_id}")
async def call_for_entity(
    request: Request, entity_type: str, entity_id: uuid.UUID, caller: CurrentCaller
) -> Response:
    """An entity the caller may see is the originator."""
    originator = _entity(entity_type, entity_id)
    return await _call(request, caller, originator, None, DEFAULT_TIMEOUT_MS)


@router.post("/{entity_type}/{entity_id}/{timeout_ms}")
async def call_with_timeout(
    request: Request, entity_type: str, entity_id: uuid.UUID, timeout_ms: int, caller: CurrentCaller
) -> Response:
    """As above, waiting ``timeout_ms`` ms."""
    originator = _entity(entity_type, entity_id)
    return await _call(request, caller, originator, None, timeout_ms)


@router.post("/{entity_type}/{entity_id}/{queue_name}/{timeout_ms}")
async def call_on_queue(
    request: Request,
    entity_type: str,
    entity_id: uuid.UUID,
    queue_name: str,
    timeout_ms: int,
    caller: CurrentCaller,
) -> Any:
    """As above, through the named queue (``Main``, ``HighPriority``…)."""
    originator = _entity(entity_type, entity_id)
    return await _call(request, caller, originator, queue_name, timeout_ms)
