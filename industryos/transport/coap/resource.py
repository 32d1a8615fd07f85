"""The CoAP device resource: ``/api/v1/{token}/{feature}[/{id}]`` (spec device-api §4).

One resource serves the whole tree because the token sits in the middle of the path;
requests are routed by ``(method, feature)`` through the table at the bottom, and every
operation is :class:`DeviceApi`'s. ``POST /api/v1/provision`` (no token) goes to the
:class:`Provisioner`: 2.01 on SUCCESS, 4.00 with the JSON status otherwise.
A POST of telemetry or attributes is answered 2.01 only after the device API made the
message durable (design: "Durable acknowledgement"); if that takes longer than aiocoap's
empty-ACK delay, the CON request gets an empty ACK (receipt, not success) and the 2.01
follows as a separate response.

Block-wise transfer: uploads (Block1) are reassembled and refused with 4.13 as soon as
they pass ``max_payload_bytes``; attribute reads (Block2) are served block by block from a
cached response; OTA downloads serve each block from the package file (``ota_chunks``).
Notifications are not split: keep observed bodies under one block.

Logging: a misbehaving device is a WARNING, the normal path DEBUG; tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiocoap import Message
from aiocoap.blockwise import Block1Spool, Block2Cache
from aiocoap.numbers.codes import Code

from industryos.devices.provision_wire import ProvisionRequestError, parse_request
from industryos.devices.provisioning import Provisioner
from industryos.devices.sessions import SessionRegistry
from industryos.transport.auth import DeviceAuthenticator, DeviceIdentity
from industryos.transport.coap.errors import (
    BadRequest,
    CoapDeviceError,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
    Unauthorized,
    from_device_api,
)
from industryos.transport.coap.observe import ObservationKind, Observations
from industryos.transport.coap.wire import API_PREFIX, ContentFormat, Feature, ObserveFlag
from industryos.transport.device_api import (
    AttributeKeys,
    DeviceApi,
    DeviceApiError,
    attribute_keys_from_query,
)
from industryos.transport.ota_chunks import coap_path_kind

if TYPE_CHECKING:
    from industryos.transport.ota_chunks import CoapOta

__all__ = ["CoapDeviceResource"]

log = logging.getLogger(__name__)

_CLIENT_RPC_REQUEST_ID = 1
PROVISION_PATH = (*API_PREFIX, "provision")
_OBSERVABLE = {Feature.ATTRIBUTES: ObservationKind.ATTRIBUTES, Feature.RPC: ObservationKind.RPC}

Handler = Callable[["CoapDeviceResource", DeviceIdentity, Message, str | None], Awaitable[Message]]


def _json(code: Code, body: bytes) -> Message:
    return Message(code=code, payload=body, content_format=ContentFormat.JSON)


def _route(path: tuple[str, ...]) -> tuple[str, Feature, str | None]:
    """Token, feature and optional id of a device path, or 4.04."""
    if path[: len(API_PREFIX)] != API_PREFIX or not 4 <= len(path) <= 5:
        raise NotFound("not a device resource")
    token, name = path[2], path[3]
    try:
        feature = Feature(name)
    except ValueError:
        raise NotFound(f"unknown feature {name!r}") from None
    request_id = path[4] if len(path) == 5 else None
    if request_id is not None and feature is not Feature.RPC:
        raise NotFound("only rpc takes an id")
    return token, feature, request_id


def _query(request: Message) -> AttributeKeys:
    values: dict[str, list[str]] = {"clientKeys": [], "sharedKeys": []}
    for item in request.opt.uri_query:
        name, _, value = item.partition("=")
        if name in values:
            values[name].append(value)
    return attribute_keys_from_query(values["clientKeys"], values["sharedKeys"])


class CoapDeviceResource:
    """The aiocoap site of the device API (implements ``render_to_pipe``)."""

    def __init__(
        self,
        auth: DeviceAuthenticator,
        api: DeviceApi,
        sessions: SessionRegistry,
        *,
        max_payload_bytes: int = 65536,
        client_rpc_wait_s: float = 60.0,
        provisioner: Provisioner | None = None,
    ) -> None:
        self._auth = auth
        self._provisioner = provisioner
        self._api = api
        self._sessions = sessions
        self._max_payload = max_payload_bytes
        self._client_rpc_wait = client_rpc_wait_s
        self._block1 = Block1Spool()
        self._block2 = Block2Cache()
        self.observations = Observations()
        self._running = True
        self.ota: CoapOta | None = None
        """Set by the node: ``/fw/{token}`` and ``/sw/{token}`` downloads (spec §4)."""

    def close(self) -> None:
        """Refuse new requests and end every observation."""
        self._running = False
        self.observations.end_all()

    # --- aiocoap entry point -------------------------------------------------------------

    async def render_to_pipe(self, pipe: Any) -> None:
        """Answer one request (an observation keeps answering until it ends)."""
        try:
            await self._render(pipe)
        except CoapDeviceError as exc:
            pipe.add_response(exc.to_message(), is_last=True)

    async def _render(self, pipe: Any) -> None:
        if not self._running:
            raise ServiceUnavailable("the CoAP transport is stopping")
        request: Message = pipe.request
        if tuple(request.opt.uri_path) == PROVISION_PATH:
            pipe.add_response(await self._provision(request), is_last=True)
            return
        ota_kind = coap_path_kind(tuple(request.opt.uri_path))
        if ota_kind is not None and self.ota is not None:
            device = await self._device(request.opt.uri_path[1])
            # Block2 straight from the file: the cache would hold a whole image
            pipe.add_response(await self.ota.get(device, ota_kind, request), is_last=True)
            return
        token, feature, request_id = _route(tuple(request.opt.uri_path))
        kind = _OBSERVABLE.get(feature)
        if request.code == Code.GET and kind is not None and request.opt.observe is not None:
            device = await self._device(token)
            if request.opt.observe == ObserveFlag.REGISTER and request_id is None:
                await self._observe(pipe, device, kind)
                return
            self.observations.cancel(self._key(request, device, kind))
            pipe.add_response(Message(code=Code.VALID), is_last=True)
            return
        handler = _HANDLERS.get((request.code, feature))
        if handler is None:
            raise MethodNotAllowed(f"{request.code} is not allowed on {feature.value}")
        if request.code == Code.POST:
            request = self._reassemble(request)
        device = await self._device(token)
        if request.code == Code.GET:
            response = await self._block2.extract_or_insert(
                request, lambda: handler(self, device, request, request_id)
            )
        else:
            response = await handler(self, device, request, request_id)
            response.opt.block1 = request.opt.block1
        pipe.add_response(response, is_last=True)

    async def _device(self, token: str) -> DeviceIdentity:
        identity = await self._auth.by_access_token(token)
        if identity is None:
            log.warning("CoAP request with an unknown access token")
            raise Unauthorized("unknown access token")
        return identity

    def _reassemble(self, request: Message) -> Message:
        """The whole upload (Block1), refused with 4.13 once it passes the limit."""
        block1 = request.opt.block1
        end = (block1.start if block1 is not None else 0) + len(request.payload)
        if end > self._max_payload:
            log.warning("CoAP payload over %d bytes refused", self._max_payload)
            raise RequestEntityTooLarge(f"payload larger than {self._max_payload} bytes")
        reassembled: Message = self._block1.feed_and_take(request)
        return reassembled

    @staticmethod
    def _key(
        request: Message, device: DeviceIdentity, kind: ObservationKind
    ) -> tuple[str, uuid.UUID, ObservationKind]:
        return (str(request.remote.hostinfo), device.device_id, kind)

    async def _provision(self, request: Message) -> Message:
        """POST ``/api/v1/provision``: 2.01 + JSON on SUCCESS, 4.00 + JSON otherwise (§4)."""
        if request.code != Code.POST:
            raise MethodNotAllowed("provisioning takes POST")
        if self._provisioner is None:
            raise ServiceUnavailable("provisioning is not available")
        request = self._reassemble(request)
        try:
            parsed = parse_request(request.payload)
        except ProvisionRequestError as exc:
            log.warning("unreadable CoAP provisioning request: %s", exc)
            raise BadRequest(str(exc)) from None
        response = await self._provisioner.provision(parsed)
        answer = _json(Code.CREATED if response.ok else Code.BAD_REQUEST, response.to_json())
        answer.opt.block1 = request.opt.block1
        return answer

    # --- observations --------------------------------------------------------------------

    async def _observe(self, pipe: Any, device: DeviceIdentity, kind: ObservationKind) -> None:
        """Serve one observation as a device session until it ends."""
        key = self._key(pipe.request, device, kind)
        observation = self.observations.open(key)
        unregister = self._sessions.register(device.device_id, device.tenant_id, observation)
        self._api.state.activity(device.device_id, device.tenant_id)
        log.debug("%s observation of %s opened", kind.value, device.device_id)
        try:
            sequence = 0
            if kind is ObservationKind.ATTRIBUTES:
                # registered first, so no change between this read and the session is lost
                current = orjson.loads(await self._api.get_attributes(device, AttributeKeys()))
                first = _json(Code.CONTENT, orjson.dumps(current.get("shared", {})))
                first.opt.observe = sequence
                pipe.add_response(first, is_last=False)
            while True:
                body = await observation.next_body()
                if body is None:
                    pipe.add_response(Message(code=Code.DELETED), is_last=True)
                    return
                sequence += 1
                notification = _json(Code.CONTENT, body)
                notification.opt.observe = sequence
                pipe.add_response(notification, is_last=False)
        finally:
            unregister()
            self.observations.done(key, observation)
            log.debug("%s observation of %s closed", kind.value, device.device_id)

    # --- request handlers ----------------------------------------------------------------

    async def _post_telemetry(
        self, device: DeviceIdentity, request: Message, _: str | None
    ) -> Message:
        try:
            await self._api.post_telemetry(device, request.payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None
        return Message(code=Code.CREATED)

    async def _post_attributes(
        self, device: DeviceIdentity, request: Message, _: str | None
    ) -> Message:
        try:
            await self._api.post_attributes(device, request.payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None
        return Message(code=Code.CREATED)

    async def _get_attributes(
        self, device: DeviceIdentity, request: Message, _: str | None
    ) -> Message:
        body = await self._api.get_attributes(device, _query(request))
        if body == b"{}":
            raise NotFound("no attributes")
        return _json(Code.CONTENT, body)

    async def _get_telemetry(self, *_: Any) -> Message:
        raise BadRequest("telemetry cannot be read")

    async def _post_rpc(
        self, device: DeviceIdentity, request: Message, request_id: str | None
    ) -> Message:
        if request_id is not None:
            return self._rpc_reply(device, request, request_id)
        session_id = self._api.new_session_id()
        try:
            answer = await self._api.client_rpc(
                device, session_id, _CLIENT_RPC_REQUEST_ID, request.payload
            )
        except DeviceApiError as exc:
            raise from_device_api(exc) from None
        try:
            async with asyncio.timeout(self._client_rpc_wait):
                return _json(Code.CONTENT, (await answer).encode())
        except TimeoutError:
            raise InternalServerError("no answer in time") from None
        finally:
            self._api.client_rpc_replies.cancel(session_id, _CLIENT_RPC_REQUEST_ID)

    def _rpc_reply(self, device: DeviceIdentity, request: Message, request_id: str) -> Message:
        """A reply to server RPC ``request_id``: a JSON object (spec §4), 2.01."""
        try:
            body = orjson.loads(request.payload)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"invalid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise BadRequest("an RPC reply must be a JSON object")
        try:
            self._api.rpc_reply(device, self._api.request_id(request_id), request.payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None
        return Message(code=Code.CREATED)

    async def _post_claim(self, device: DeviceIdentity, request: Message, _: str | None) -> Message:
        try:
            await self._api.claim(device, request.payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None
        return Message(code=Code.CREATED)


_HANDLERS: dict[tuple[Code, Feature], Handler] = {
    (Code.POST, Feature.TELEMETRY): CoapDeviceResource._post_telemetry,
    (Code.GET, Feature.TELEMETRY): CoapDeviceResource._get_telemetry,
    (Code.POST, Feature.ATTRIBUTES): CoapDeviceResource._post_attributes,
    (Code.GET, Feature.ATTRIBUTES): CoapDeviceResource._get_attributes,
    (Code.POST, Feature.RPC): CoapDeviceResource._post_rpc,
    (Code.POST, Feature.CLAIM): CoapDeviceResource._post_claim,
}
"""Every (method, feature) the device API takes; observation is handled before the table."""
