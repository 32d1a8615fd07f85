"""The transport-neutral device API: what a device may do once it is authenticated.

MQTT, HTTP, CoAP and the gateway API all call this one class, so the rules of spec
device-api §1 live in one place: payloads are parsed by ``telemetry/parse.py``,
normalised into rule-engine messages and appended to the durable queue; a call returns
only once its messages are durable, so the transport can acknowledge (design: "Durable
acknowledgement"). Nothing here writes to storage on the message path; attribute reads
(§1.4) and claims are the only reads and writes, and they are device-initiated requests,
not telemetry.

Errors (one root; transports map them to their own codes)::

    DeviceApiError
    ├── PayloadError    the device sent something unparsable (MQTT 0x99, HTTP 400, CoAP 4.00)
    ├── RateLimited     over its tenant profile's rate limits (MQTT 0x97, HTTP 429, CoAP 4.29)
    └── BackendError    the queue could not take the message (MQTT 0x83, HTTP 500, CoAP 5.00)
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from industryos.devices.claims import DeviceClaims
from industryos.devices.rpc import ClientRpcReplies, ServerRpc
from industryos.devices.state import DeviceStateTracker
from industryos.entities.ids import now_ms
from industryos.entities.models.rate_limit import TenantLimits
from industryos.msg import Msg, MsgType
from industryos.queue.interface import QueueError, QueueProducer, RecordTooLargeError
from industryos.telemetry.errors import KvParseError
from industryos.telemetry.kv import AttributeScope
from industryos.telemetry.parse import (
    DEVICE,
    ParseOptions,
    attributes_from_json,
    loads,
    telemetry_bodies,
    telemetry_from_json,
    values_json,
)
from industryos.telemetry.service import TelemetryService
from industryos.transport.auth import DeviceIdentity
from industryos.transport.rate_limits import RateLimiter, RateLimitExceeded

__all__ = [
    "AttributeKeys",
    "BackendError",
    "DeviceApi",
    "DeviceApiError",
    "PayloadError",
    "RateLimited",
    "attribute_keys_from_json",
    "attribute_keys_from_query",
]

log = logging.getLogger(__name__)


class DeviceApiError(Exception):
    """Root of the device API's errors."""


class PayloadError(DeviceApiError):
    """The payload cannot be read: bad JSON, wrong shape, bad request id."""


class RateLimited(DeviceApiError):
    """The device or its tenant is over a rate limit of the tenant profile; nothing queued."""


class BackendError(DeviceApiError):
    """The message could not be made durable; the device should retry later."""


@dataclass(frozen=True, slots=True)
class AttributeKeys:
    """Which attributes a device asks for; ``None`` for a scope means "not asked"."""

    client: list[str] | None = None
    shared: list[str] | None = None


def _key_list(value: Any) -> list[str] | None:
    """ThingsBoard reads the keys with ``getAsString``: a string, or a 1-element array.

    We also accept longer arrays (lenient costs nothing, spec §2.7); an empty string or
    array means the scope was not asked for.
    """
    if value is None:
        return None
    if isinstance(value, str):
        keys = [key.strip() for key in value.split(",") if key.strip()]
    elif isinstance(value, list) and all(isinstance(key, str) for key in value):
        keys = [key.strip() for key in value if key.strip()]
    else:
        raise PayloadError(f"attribute keys must be a string, not {orjson.dumps(value)!r}")
    return keys or None


def attribute_keys_from_json(payload: bytes) -> AttributeKeys:
    """The keys of an MQTT/CoAP-style request ``{"clientKeys":"a,b","sharedKeys":"c"}``."""
    if not payload.strip():
        return AttributeKeys()
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"invalid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise PayloadError("an attribute request must be a JSON object")
    return AttributeKeys(_key_list(body.get("clientKeys")), _key_list(body.get("sharedKeys")))


def _query_keys(values: Iterable[str]) -> list[str] | None:
    keys = [key.strip() for value in values for key in value.split(",") if key.strip()]
    return keys or None


def attribute_keys_from_query(client: Iterable[str], shared: Iterable[str]) -> AttributeKeys:
    """The keys of an HTTP/CoAP query: ``clientKeys=a,b`` and/or repeated ``sharedKeys=c``.

    Repeated parameters are joined with commas, as Spring does (spec §3); a scope with no
    keys counts as not asked for.
    """
    return AttributeKeys(_query_keys(client), _query_keys(shared))


def _request_id(text: str) -> int:
    """A request id from a topic or path suffix: a decimal integer."""
    try:
        return int(text)
    except ValueError:
        raise PayloadError(f"request id {text!r} is not an integer") from None


class DeviceApi:
    """Uplink operations of an authenticated device, shared by every transport."""

    def __init__(
        self,
        queue: QueueProducer,
        topic: str,
        telemetry: TelemetryService,
        *,
        state: DeviceStateTracker,
        server_rpc: ServerRpc,
        client_rpc: ClientRpcReplies,
        claims: DeviceClaims,
        service_id: str = "industryos",
        parse_options: ParseOptions = DEVICE,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._queue = queue
        self._topic = topic
        self._telemetry = telemetry
        self.state = state
        self.server_rpc = server_rpc
        self.client_rpc_replies = client_rpc
        self._claims = claims
        self._service_id = service_id
        self._options = parse_options
        self._limiter = limiter

    async def admit(self, device: DeviceIdentity, telemetry_points: int | None = None) -> None:
        """Count one uplink against the rate limits, or raise :class:`RateLimited`."""
        if self._limiter is None:
            return
        try:
            await self._limiter.admit(
                device.tenant_id, device.device_id, telemetry_points=telemetry_points
            )
        except RateLimitExceeded as exc:
            log.warning("device %s rate limited: %s", device.device_id, exc)
            raise RateLimited(str(exc)) from None

    async def session_rate_limits(self, device: DeviceIdentity) -> dict[str, str | None]:
        """The ``rateLimits`` object getSessionLimits reports for this device's tenant."""
        if self._limiter is None:
            return TenantLimits().as_session_limits()
        return (await self._limiter.limits(device.tenant_id)).as_session_limits()

    request_id = staticmethod(_request_id)

    # --- messages into the rule engine ---------------------------------------------------

    def _msg(
        self,
        device: DeviceIdentity,
        msg_type: MsgType,
        data: str,
        ts: int,
        extra: Mapping[str, str] | None,
    ) -> Msg:
        metadata = {"deviceName": device.device_name, "deviceType": device.device_type}
        if extra:
            metadata.update(extra)
        metadata["ts"] = str(ts)
        return Msg(
            type=msg_type,
            originator=device.originator,
            tenant_id=device.tenant_id,
            customer_id=device.customer_id,
            data=data,
            metadata=metadata,
            ts=ts,
        )

    async def _append(self, msgs: list[Msg]) -> None:
        try:
            if len(msgs) == 1:
                await self._queue.append(self._topic, msgs[0])
            else:
                await self._queue.append_many(self._topic, msgs)
        except RecordTooLargeError as exc:
            raise PayloadError(str(exc)) from None
        except QueueError as exc:
            log.error("queue refused device messages: %s", exc)
            raise BackendError(str(exc)) from exc

    async def post_telemetry(
        self, device: DeviceIdentity, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> int:
        """Queue a §1.2 telemetry payload: one message per distinct ts; returns the count."""
        now = now_ms()
        try:
            points = telemetry_from_json(loads(payload), now, self._options)
        except KvParseError as exc:
            raise PayloadError(str(exc)) from None
        self.state.activity(device.device_id, device.tenant_id)
        await self.admit(device, len(points))
        if not points:
            return 0
        msgs = [
            # the rule engine's "save time series" takes the points instead of parsing again
            self._msg(
                device, MsgType.POST_TELEMETRY_REQUEST, body.data.decode(), body.ts, metadata
            ).keep_parsed(body.parsed)
            for body in telemetry_bodies(points, self._options)
        ]
        await self._append(msgs)
        return len(msgs)

    async def post_attributes(
        self, device: DeviceIdentity, payload: bytes, metadata: Mapping[str, str] | None = None
    ) -> int:
        """Queue a §1.3 client-attribute upload; returns how many keys it carried."""
        try:
            entries = attributes_from_json(loads(payload), self._options)
        except KvParseError as exc:
            raise PayloadError(str(exc)) from None
        self.state.activity(device.device_id, device.tenant_id)
        await self.admit(device)
        if not entries:
            return 0
        data = values_json(entries).decode()
        await self._append(
            [self._msg(device, MsgType.POST_ATTRIBUTES_REQUEST, data, now_ms(), metadata)]
        )
        return len(entries)

    # --- requests answered by the server -------------------------------------------------

    async def get_attributes(self, device: DeviceIdentity, keys: AttributeKeys) -> bytes:
        """The §1.4 answer ``{"client": {...}, "shared": {...}}`` (empty sections left out).

        Only CLIENT and SHARED scopes are read; server attributes never reach a device.
        """
        self.state.activity(device.device_id, device.tenant_id)
        wanted: list[tuple[str, AttributeScope, list[str] | None]] = []
        if keys.client is None and keys.shared is None:
            wanted = [("client", AttributeScope.CLIENT_SCOPE, None)]
            wanted.append(("shared", AttributeScope.SHARED_SCOPE, None))
        else:
            if keys.client is not None:
                wanted.append(("client", AttributeScope.CLIENT_SCOPE, keys.client))
            if keys.shared is not None:
                wanted.append(("shared", AttributeScope.SHARED_SCOPE, keys.shared))
        reads = await asyncio.gather(
            *(
                self._telemetry.get_attributes(device.tenant_id, device.device_id, scope, names)
                for _, scope, names in wanted
            )
        )
        answer: dict[str, Any] = {}
        for (section, scope, _), found in zip(wanted, reads, strict=True):
            entries = found.get(scope) or []
            if entries:
                answer[section] = orjson.Fragment(values_json(entries))
        return orjson.dumps(answer)

    def rpc_reply(self, device: DeviceIdentity, request_id: int, payload: bytes) -> bool:
        """The device answered server RPC ``request_id`` (any payload, kept as text)."""
        self.state.activity(device.device_id, device.tenant_id)
        try:
            body = payload.decode()
        except UnicodeDecodeError:
            raise PayloadError("an RPC reply must be UTF-8 text") from None
        return self.server_rpc.on_reply(device.device_id, request_id, body)

    async def client_rpc(
        self, device: DeviceIdentity, session_id: str, request_id: int, payload: bytes
    ) -> asyncio.Future[str]:
        """Queue a client-side RPC ``{"method", "params"}``; the future gets the answer.

        The answer arrives through :meth:`ClientRpcReplies.reply` or is
        ``{"error":"timeout"}`` after the configured timeout.
        """
        try:
            body = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(f"invalid JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            raise PayloadError('a client RPC needs a JSON object with a "method" string')
        self.state.activity(device.device_id, device.tenant_id)
        data = orjson.dumps({"method": body["method"], "params": body.get("params")}).decode()
        extra = {
            "requestId": str(request_id),
            "serviceId": self._service_id,
            "sessionId": session_id,
        }
        msg = self._msg(device, MsgType.TO_SERVER_RPC_REQUEST, data, now_ms(), extra)
        future = self.client_rpc_replies.expect(session_id, request_id)
        try:
            await self._append([msg])
        except DeviceApiError:
            self.client_rpc_replies.cancel(session_id, request_id)
            raise
        return future

    async def claim(self, device: DeviceIdentity, payload: bytes) -> bool:
        """Record a §2.11 claim; False when refused (the device is not told)."""
        self.state.activity(device.device_id, device.tenant_id)
        secret, duration = "", 0
        if payload.strip():
            try:
                body = orjson.loads(payload)
            except orjson.JSONDecodeError as exc:
                raise PayloadError(f"invalid JSON: {exc}") from None
            if not isinstance(body, dict):
                raise PayloadError("a claim must be a JSON object")
            secret = body.get("secretKey") or ""
            duration = body.get("durationMs") or 0
            if not isinstance(secret, str) or not isinstance(duration, int | float):
                raise PayloadError("secretKey must be a string and durationMs a number")
        return await self._claims.record(
            device.tenant_id, device.device_id, device.customer_id, secret, int(duration)
        )

    @staticmethod
    def new_session_id() -> str:
        """A session id for :meth:`client_rpc` (sessionId metadata)."""
        return str(uuid.uuid4())
