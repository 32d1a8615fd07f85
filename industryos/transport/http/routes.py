"""The ``/api/v1`` routes of the HTTP device API (spec device-api §3).

Routes are thin: they pick the pieces of the request and call :class:`HttpDeviceApi`,
which the node sets on ``app.state`` once the device transports are built (until then,
and while stopping, a device request gets 503). Errors render themselves through the
router's route class, so the device API's answers never take the REST error shape: an
unknown token is a bare 401, a timeout a bare 408.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from industryos.devices.ota.wire import OtaPackageType
from industryos.transport.device_api import attribute_keys_from_query
from industryos.transport.http.errors import HttpDeviceError, ServiceUnavailable
from industryos.transport.http.longpoll import LongPollKind
from industryos.transport.http.service import HttpDeviceApi
from industryos.transport.ota_chunks import http_download

__all__ = ["STATE_ATTRIBUTE", "router"]

STATE_ATTRIBUTE = "device_http"
"""The ``app.state`` attribute the node sets to the :class:`HttpDeviceApi`."""

_JSON = "application/json"


class DeviceRoute(APIRoute):
    """Answers :class:`HttpDeviceError` with its own status and body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except HttpDeviceError as exc:
                return exc.to_response()

        return guarded


router = APIRouter(prefix="/api/v1", tags=["device API"], route_class=DeviceRoute)


def device_http(request: Request) -> HttpDeviceApi:
    """The node's HTTP device API (a FastAPI dependency); 503 until it exists."""
    api: HttpDeviceApi | None = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if api is None or not api.running:
        raise ServiceUnavailable("device transports are not running")
    return api


Api = Annotated[HttpDeviceApi, Depends(device_http)]
TimeoutMs = Annotated[str | None, Query(alias="timeout")]
"""A long poll's ``timeout`` in ms, read as text so a bad value is our 400."""


def _ok(body: bytes = b"", media_type: str | None = None) -> Response:
    return Response(body, status_code=200, media_type=media_type)


@router.post("/provision")
async def provision(request: Request, api: Api) -> Response:
    """Provisioning §2.12/§8.2: 200 with the status in the body (SUCCESS, NOT_FOUND, FAILURE)."""
    return _ok(await api.provision(await api.body(request)), _JSON)


@router.post("/{token}/telemetry")
async def post_telemetry(token: str, request: Request, api: Api) -> Response:
    """Telemetry §1.2; 200 with an empty body once durable."""
    payload = await api.body(request)
    await api.post_telemetry(await api.device(token), payload)
    return _ok()


@router.post("/{token}/attributes")
async def post_attributes(token: str, request: Request, api: Api) -> Response:
    """Client attributes §1.3; 200 with an empty body once durable."""
    payload = await api.body(request)
    await api.post_attributes(await api.device(token), payload)
    return _ok()


@router.get("/{token}/attributes")
async def get_attributes(
    token: str,
    api: Api,
    client_keys: Annotated[list[str] | None, Query(alias="clientKeys")] = None,
    shared_keys: Annotated[list[str] | None, Query(alias="sharedKeys")] = None,
) -> Response:
    """Client and shared attributes §1.4 (snake-case keys are ignored, as in ThingsBoard)."""
    device = await api.device(token)
    keys = attribute_keys_from_query(client_keys or (), shared_keys or ())
    return _ok(await api.get_attributes(device, keys), _JSON)


@router.get("/{token}/attributes/updates")
async def attribute_updates(token: str, api: Api, timeout_ms: TimeoutMs = None) -> Response:
    """Long poll for one shared-attribute update §1.5; 408 when none came."""
    seconds = api.poll_timeout(timeout_ms)
    device = await api.device(token)
    return _ok(await api.long_poll(device, LongPollKind.ATTRIBUTES, seconds), _JSON)


@router.get("/{token}/rpc")
async def rpc_poll(token: str, api: Api, timeout_ms: TimeoutMs = None) -> Response:
    """Long poll for one server RPC ``{"id", "method", "params"}``; 408 when none came."""
    seconds = api.poll_timeout(timeout_ms)
    device = await api.device(token)
    return _ok(await api.long_poll(device, LongPollKind.RPC, seconds), _JSON)


@router.post("/{token}/rpc/{request_id}")
async def rpc_reply(token: str, request_id: str, request: Request, api: Api) -> Response:
    """The device's reply to server RPC ``request_id``; 200 even when nobody waits."""
    payload = await api.body(request)
    api.rpc_reply(await api.device(token), request_id, payload)
    return _ok()


@router.post("/{token}/rpc")
async def client_rpc(token: str, request: Request, api: Api) -> Response:
    """A client RPC; 200 with the rule engine's answer, or ``{"error":"timeout"}``."""
    payload = await api.body(request)
    device = await api.device(token)
    answer = await api.client_rpc(device, payload, api.config.default_timeout_ms / 1000)
    return _ok(answer, _JSON)


@router.post("/{token}/claim")
async def claim(token: str, request: Request, api: Api) -> Response:
    """Announce a claim ``{"secretKey", "durationMs"}`` (both optional)."""
    payload = await api.body(request)
    await api.claim(await api.device(token), payload)
    return _ok()


@router.get("/{token}/firmware")
async def firmware(token: str, request: Request, api: Api) -> Response:
    """A chunk of the assigned firmware (``title``, ``version``, ``size``, ``chunk``)."""
    return await http_download(request, await api.device(token), OtaPackageType.FIRMWARE)


@router.get("/{token}/software")
async def software(token: str, request: Request, api: Api) -> Response:
    """A chunk of the assigned software (``title``, ``version``, ``size``, ``chunk``)."""
    return await http_download(request, await api.device(token), OtaPackageType.SOFTWARE)
