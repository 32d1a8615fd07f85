"""The HTTP device API's logic between the routes and the transport-neutral device API.

Authenticates the path's access token, reads the body against the size limit, runs the
long polls as device sessions and waits for client RPC answers. Everything a device may
*do* is :class:`DeviceApi`'s; this class only adds what is HTTP-specific. A telemetry or
attribute call returns only after the device API made the message durable, so the 200
the route answers means "stored" (design: "Durable acknowledgement").

Logging: a misbehaving device is a WARNING, the normal path DEBUG; tokens are never logged.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request

from industryos.devices.provision_wire import ProvisionRequestError, parse_request
from industryos.devices.provisioning import Provisioner
from industryos.devices.sessions import SessionRegistry
from industryos.transport.auth import DeviceAuthenticator, DeviceIdentity
from industryos.transport.device_api import AttributeKeys, DeviceApi, DeviceApiError
from industryos.transport.http.config import HttpDeviceConfig
from industryos.transport.http.errors import (
    BadRequest,
    PayloadTooLarge,
    RequestTimeout,
    ServiceUnavailable,
    Unauthorized,
    from_device_api,
)
from industryos.transport.http.longpoll import LongPollKind, LongPolls, PollClosed

__all__ = ["HttpDeviceApi"]

log = logging.getLogger(__name__)

_CLIENT_RPC_REQUEST_ID = 1
"""Each HTTP client RPC is its own session, so one request id per session suffices."""


class HttpDeviceApi:
    """What the ``/api/v1`` routes call; built once per node by ``DeviceTransports``."""

    def __init__(
        self,
        auth: DeviceAuthenticator,
        api: DeviceApi,
        sessions: SessionRegistry,
        config: HttpDeviceConfig | None = None,
        *,
        provisioner: Provisioner | None = None,
    ) -> None:
        self._auth = auth
        self._provisioner = provisioner
        self._api = api
        self._sessions = sessions
        self.config = config or HttpDeviceConfig()
        self._polls = LongPolls()
        self._running = True

    @property
    def running(self) -> bool:
        """False once :meth:`close` ran: new requests get 503."""
        return self._running

    @property
    def waiting_polls(self) -> int:
        """Long polls waiting right now."""
        return len(self._polls)

    def close(self) -> None:
        """Refuse new requests and end waiting polls (so the HTTP server can stop)."""
        self._running = False
        self._polls.close_all()

    # --- request pieces ----------------------------------------------------------------

    async def device(self, token: str) -> DeviceIdentity:
        """The device of an access token, or 401."""
        if not self._running:
            raise ServiceUnavailable("device transports are stopping")
        identity = await self._auth.by_access_token(token)
        if identity is None:
            log.warning("HTTP device request with an unknown access token")
            raise Unauthorized()
        return identity

    async def body(self, request: Request) -> bytes:
        """The request body, refused with 413 as soon as it passes the limit."""
        limit = self.config.max_payload_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"payload larger than {limit} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"payload larger than {limit} bytes")
        return bytes(body)

    def poll_timeout(self, raw: str | None) -> float:
        """Seconds a long poll waits: ``timeout`` ms, 0/absent = default, capped (§3)."""
        if raw is None or raw.strip() == "":
            millis = 0
        else:
            try:
                millis = int(raw)
            except ValueError:
                raise BadRequest(f"timeout {raw!r} is not a number of milliseconds") from None
            if millis < 0:
                raise BadRequest("timeout must not be negative")
        if millis == 0:
            millis = self.config.default_timeout_ms
        return min(millis, self.config.max_timeout_ms) / 1000

    # --- operations ----------------------------------------------------------------------

    async def post_telemetry(self, device: DeviceIdentity, payload: bytes) -> None:
        """Queue telemetry; returns once durable."""
        try:
            await self._api.post_telemetry(device, payload)
        except DeviceApiError as exc:
            log.debug("telemetry of %s refused: %s", device.device_id, exc)
            raise from_device_api(exc) from None

    async def post_attributes(self, device: DeviceIdentity, payload: bytes) -> None:
        """Queue client attributes; returns once durable."""
        try:
            await self._api.post_attributes(device, payload)
        except DeviceApiError as exc:
            log.debug("attributes of %s refused: %s", device.device_id, exc)
            raise from_device_api(exc) from None

    async def get_attributes(self, device: DeviceIdentity, keys: AttributeKeys) -> bytes:
        """The §1.4 answer."""
        return await self._api.get_attributes(device, keys)

    def rpc_reply(self, device: DeviceIdentity, request_id: str, payload: bytes) -> None:
        """Route the device's reply to a server RPC (200 even for an unknown id)."""
        try:
            self._api.rpc_reply(device, self._api.request_id(request_id), payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None

    async def client_rpc(self, device: DeviceIdentity, payload: bytes, timeout_s: float) -> bytes:
        """Queue a client RPC and wait for the rule engine's answer (408 if the wait ends)."""
        session_id = self._api.new_session_id()
        try:
            answer = await self._api.client_rpc(device, session_id, _CLIENT_RPC_REQUEST_ID, payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None
        try:
            async with asyncio.timeout(timeout_s):
                return (await answer).encode()
        except TimeoutError:
            raise RequestTimeout() from None
        finally:
            self._api.client_rpc_replies.cancel(session_id, _CLIENT_RPC_REQUEST_ID)

    async def claim(self, device: DeviceIdentity, payload: bytes) -> None:
        """Record a claim (a refusal is not reported, spec §2.11)."""
        try:
            await self._api.claim(device, payload)
        except DeviceApiError as exc:
            raise from_device_api(exc) from None

    async def provision(self, payload: bytes) -> bytes:
        """Answer a provisioning request: 200 whatever the status, 400 when unreadable.

        ThingsBoard answers an unreadable request with 500; 400 says whose fault it is,
        and the clients only tell success from failure (spec §3).
        """
        if self._provisioner is None:
            raise ServiceUnavailable("provisioning is not available")
        try:
            request = parse_request(payload)
        except ProvisionRequestError as exc:
            log.warning("unreadable provisioning request: %s", exc)
            raise BadRequest(str(exc)) from None
        return (await self._provisioner.provision(request)).to_json()

    async def long_poll(
        self, device: DeviceIdentity, kind: LongPollKind, timeout_s: float
    ) -> bytes:
        """Wait as a device session for one shared-attribute update or server RPC."""
        self._api.state.activity(device.device_id, device.tenant_id)
        poll = self._polls.open(kind)
        unregister = self._sessions.register(device.device_id, device.tenant_id, poll)
        try:
            body = await poll.wait(timeout_s)
        except PollClosed:
            raise ServiceUnavailable("device transports are stopping") from None
        finally:
            unregister()
            self._polls.done(poll)
        if body is None:
            raise RequestTimeout()
        log.debug("%s poll of %s answered", kind.value, device.device_id)
        return body
