"""RPC to devices over REST (spec platform-api §3.7, checklist items 19-20).

Two generations answer the same calls with different status codes (ThingsBoard's
``RpcV1Controller`` and ``RpcV2Controller``): a call never delivered (no session taking
RPCs) is 409 on ``/api/plugins/rpc`` and 504 on ``/api/rpc``; a call not answered in time
is 408 and 504. A reply that is not JSON is 406 on both; otherwise the device's JSON is
the response body. Error statuses carry no body, as in ThingsBoard.

The :class:`~industryos.devices.rest_rpc.RestRpc` is set on ``app.state`` by whoever
composes the app (:func:`install`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from industryos.api.deps import CurrentCaller, Page
from industryos.devices.rest_rpc import RestRpc, RpcCall
from industryos.devices.rpc import RpcOutcome, RpcResult
from industryos.devices.rpc_status import RpcStatus
from industryos.devices.rpc_store import PersistedRpc
from industryos.entities.errors import InvalidArgument

__all__ = ["STATE_ATTRIBUTE", "install", "router"]

STATE_ATTRIBUTE = "device_rpc"
"""The ``app.state`` attribute holding the :class:`RestRpc`."""

router = APIRouter(tags=["rpc"])
Json = dict[str, Any]

V1_STATUS = {RpcOutcome.TIMEOUT: 408, RpcOutcome.NO_ACTIVE_CONNECTION: 409}
V2_STATUS = {RpcOutcome.TIMEOUT: 504, RpcOutcome.NO_ACTIVE_CONNECTION: 504}


def install(app: FastAPI, rpc: RestRpc) -> None:
    """Mount the routes on ``app`` and hand them ``rpc``."""
    setattr(app.state, STATE_ATTRIBUTE, rpc)
    app.include_router(router)


def _rpc(request: Request) -> RestRpc:
    rpc: RestRpc = getattr(request.app.state, STATE_ATTRIBUTE)
    return rpc


Rpc = Annotated[RestRpc, Depends(_rpc)]


def _int(body: Json, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidArgument(f"'{key}' must be a number")
    try:
        return int(value)
    except ValueError:
        raise InvalidArgument(f"'{key}' must be a number") from None


async def _call_body(request: Request) -> RpcCall:
    """The request body: method required, the rest optional (§3.7)."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"Invalid RPC request: {exc}") from None
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        raise InvalidArgument("RPC request must be a JSON object with a string 'method'")
    request_uuid = body.get("requestUUID")
    try:
        parsed_uuid = uuid.UUID(str(request_uuid)) if request_uuid else None
    except ValueError:
        raise InvalidArgument("'requestUUID' must be a UUID") from None
    info = body.get("additionalInfo")
    return RpcCall(
        method=body["method"],
        params=orjson.dumps(body.get("params", {})).decode(),
        timeout_ms=_int(body, "timeout"),
        expiration_time=_int(body, "expirationTime"),
        persistent=body.get("persistent") is True,
        retries=_int(body, "retries") or 0,
        additional_info=None if info is None else orjson.dumps(info).decode(),
        request_uuid=parsed_uuid,
    )


Call = Annotated[RpcCall, Depends(_call_body)]


def _answer(outcome: RpcResult | PersistedRpc, statuses: dict[RpcOutcome, int]) -> Response:
    if isinstance(outcome, PersistedRpc):
        return Response(orjson.dumps({"rpcId": str(outcome.id)}), media_type="application/json")
    if outcome.outcome in statuses:
        return Response(status_code=statuses[outcome.outcome])
    reply = outcome.response
    if not reply:
        return Response(status_code=200)
    try:
        orjson.loads(reply)
    except orjson.JSONDecodeError:
        return Response(status_code=406)
    return Response(reply, media_type="application/json")


@router.post("/api/rpc/oneway/{device_id}")
async def oneway(device_id: uuid.UUID, body: Call, caller: CurrentCaller, rpc: Rpc) -> Response:
    """One-way call: 200 once delivered, 504 when it cannot be."""
    return _answer(await rpc.call(caller, device_id, body, oneway=True), V2_STATUS)


@router.post("/api/rpc/twoway/{device_id}")
async def twoway(device_id: uuid.UUID, body: Call, caller: CurrentCaller, rpc: Rpc) -> Response:
    """Two-way call: 200 with the device's JSON reply, 504 when none comes."""
    return _answer(await rpc.call(caller, device_id, body, oneway=False), V2_STATUS)


@router.post("/api/plugins/rpc/oneway/{device_id}")
async def oneway_v1(device_id: uuid.UUID, body: Call, caller: CurrentCaller, rpc: Rpc) -> Response:
    """Legacy one-way call: 408 on timeout, 409 with no active connection."""
    return _answer(await rpc.call(caller, device_id, body, oneway=True), V1_STATUS)


@router.post("/api/plugins/rpc/twoway/{device_id}")
async def twoway_v1(device_id: uuid.UUID, body: Call, caller: CurrentCaller, rpc: Rpc) -> Response:
    """Legacy two-way call: 408 on timeout, 409 with no active connection."""
    return _answer(await rpc.call(caller, device_id, body, oneway=False), V1_STATUS)


@router.get("/api/rpc/persistent/device/{device_id}")
async def persistent_of_device(
    device_id: uuid.UUID,
    caller: CurrentCaller,
    rpc: Rpc,
    link: Page,
    rpc_status: Annotated[str | None, Query(alias="rpcStatus")] = None,
) -> Json:
    """A page of the device's persistent calls, optionally of one status."""
    status = None
    if rpc_status:
        try:
            status = RpcStatus(rpc_status)
        except ValueError:
            raise InvalidArgument(f"Unknown rpcStatus: {rpc_status}") from None
    page = await rpc.page(caller, device_id, status, link)
    return page.to_wire(PersistedRpc.to_wire)


@router.get("/api/rpc/persistent/{rpc_id}")
async def persistent(rpc_id: uuid.UUID, caller: CurrentCaller, rpc: Rpc) -> Json:
    """One persistent call with its status and reply."""
    return (await rpc.get(caller, rpc_id)).to_wire()


@router.delete("/api/rpc/persistent/{rpc_id}")
async def delete_persistent(rpc_id: uuid.UUID, caller: CurrentCaller, rpc: Rpc) -> Response:
    """Remove a persistent call (RPC_DELETED)."""
    await rpc.delete(caller, rpc_id)
    return Response(status_code=200)
