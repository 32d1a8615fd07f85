"""The MQTT device adapter: ThingsBoard's device API over the MQTT core (spec §2).

Each publish is routed by the topic tables of ``topics.py`` to one handler of the
dispatch table below, which calls the transport-neutral :class:`DeviceApi`. A handler
returns only once the device's messages are durable in the queue, so the core's PUBACK
means "stored" (design: "Durable acknowledgement"). Replies (attribute responses, client
RPC answers, session limits) are published after the PUBACK, whether or not a
subscription matches.

Acknowledgement and errors (§2.14):

=============================  =====================  =====================================
situation                      MQTT 5                 MQTT 3.1/3.1.1
=============================  =====================  =====================================
accepted                       PUBACK 0x00            PUBACK
unknown topic                  PUBACK 0x90            PUBACK (nothing stored)
bad payload                    PUBACK 0x99            close; PUBACK when the profile sets
                                                      ``sendAckOnValidationException``
``v1/gateway/*`` from a        PUBACK 0x87            PUBACK (nothing stored)
device that is not a gateway
queue failure                  DISCONNECT 0x83        close
=============================  =====================  =====================================

``v1/gateway/*`` from a non-gateway device gets 0x87 (Not authorized), not ThingsBoard's
0x90: the topic exists, this device may not use it, and saying so tells its developer
why; the ThingsBoard clients treat both alike (only 0x83 and 0x97 make them back off).
Gateway publishes go to :class:`GatewayApi`, the dispatch point of the gateway API.

Logging: a misbehaving device is a WARNING, an internal fault an ERROR, the normal path
DEBUG; tokens and passwords are never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import orjson
from cryptography import x509

from industryos.devices.ota.wire import OtaPackageType
from industryos.devices.sessions import SessionRegistry
from industryos.transport.auth import DeviceAuthenticator, DeviceIdentity
from industryos.transport.device_api import (
    BackendError,
    DeviceApi,
    PayloadError,
    RateLimited,
    attribute_keys_from_json,
)
from industryos.transport.mqtt.application import (
    ACCEPTED,
    Accepted,
    AuthResult,
    PeerCertificate,
    PublishResult,
    Refused,
)
from industryos.transport.mqtt.device.context import MqttDeviceSession
from industryos.transport.mqtt.device.profiles import ProfileCache
from industryos.transport.mqtt.device.topics import (
    ATTRIBUTE_RESPONSE,
    RPC_RESPONSE,
    SUBSCRIBE_FILTERS,
    Effect,
    Family,
    Route,
    Uplink,
    route,
)
from industryos.transport.mqtt.packets import Connect, Publish, Subscription
from industryos.transport.mqtt.reason_codes import ReasonCode
from industryos.transport.mqtt.session import Session

if TYPE_CHECKING:
    from industryos.transport.ota_chunks import MqttOta

__all__ = ["GatewayApi", "MqttDeviceApplication", "SessionLimits"]

log = logging.getLogger(__name__)

PROVISION = "provision"
SESSION_LIMITS_METHOD = "getSessionLimits"
_NOT_A_GATEWAY = PublishResult(ack=ReasonCode.NOT_AUTHORIZED)
_UNKNOWN_TOPIC = PublishResult(ack=ReasonCode.TOPIC_NAME_INVALID)
_BACKEND_ERROR = PublishResult(ack=None, disconnect=ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
_RATE_LIMITED = PublishResult(ack=ReasonCode.QUOTA_EXCEEDED)
"""Over a rate limit: PUBACK 0x97 on MQTT 5 (the SDK backs off on it); 3.1.1 is closed."""

DeviceSessionT = Session[MqttDeviceSession]
Handler = Callable[[MqttDeviceSession, Route, Publish], Awaitable[PublishResult]]


class GatewayApi(Protocol):
    """The gateway API (spec §5): handles ``v1/gateway/*`` publishes of gateway devices."""

    async def on_connect(self, session: MqttDeviceSession) -> None:
        """A gateway device's session is live (its children become reachable)."""
        ...

    async def on_disconnect(self, session: MqttDeviceSession) -> None:
        """A gateway device's session ended (its children go offline)."""
        ...

    async def on_publish(self, session: MqttDeviceSession, publish: Publish) -> PublishResult:
        """Handle one gateway publish; return after its messages are durable."""
        ...


class SessionLimits:
    """The ``getSessionLimits`` answer (§2.10); ``None`` limits mean unlimited."""

    def __init__(self, max_payload_size: int, max_inflight_messages: int) -> None:
        self._body = {
            "maxPayloadSize": max_payload_size,
            "maxInflightMessages": max_inflight_messages,
        }

    def render(self, rate_limits: dict[str, str | None], *, gateway: bool) -> bytes:
        """The answer for a device (or gateway) under its tenant profile's rate limits.

        A gateway gets the same per-device limits for itself (``rateLimits``) and for the
        devices behind it (``gatewayRateLimits``), the meaning the SDK and the docs use.
        """
        body: dict[str, object] = {**self._body, "rateLimits": rate_limits}
        if gateway:
            body["gatewayRateLimits"] = rate_limits
        return orjson.dumps(body)


class MqttDeviceApplication:
    """Implements :class:`~industryos.transport.mqtt.MqttApplication` for devices."""

    def __init__(
        self,
        auth: DeviceAuthenticator,
        api: DeviceApi,
        sessions: SessionRegistry,
        profiles: ProfileCache,
        limits: SessionLimits,
        *,
        gateway: GatewayApi | None = None,
    ) -> None:
        self._auth = auth
        self._api = api
        self._sessions = sessions
        self._profiles = profiles
        self._limits = limits
        self.gateway = gateway
        """Set by the gateway API when it exists; until then gateways get 0x90."""
        self.ota: MqttOta | None = None
        """Set by the node: OTA chunk downloads (spec §2.13); until then 0x90."""
        self._handlers: dict[Uplink, Handler] = {
            Uplink.TELEMETRY: self._telemetry,
            Uplink.ATTRIBUTES: self._attributes,
            Uplink.ATTRIBUTE_REQUEST: self._attribute_request,
            Uplink.RPC_REPLY: self._rpc_reply,
            Uplink.CLIENT_RPC: self._client_rpc,
            Uplink.CLAIM: self._claim,
            Uplink.GATEWAY: self._gateway,
            Uplink.FIRMWARE_CHUNK: self._ota_chunk,
            Uplink.SOFTWARE_CHUNK: self._ota_chunk,
        }

    # --- CONNECT -------------------------------------------------------------------------

    async def authenticate(
        self, connect: Connect, peer_certificate: PeerCertificate | None
    ) -> AuthResult[MqttDeviceSession]:
        """Spec §2.2: X.509 when a certificate came with TLS, else basic / access token."""
        if PROVISION in (connect.username, connect.client_id):
            log.warning("provisioning over MQTT is not available yet")
            return Refused(ReasonCode.NOT_AUTHORIZED)
        identity: DeviceIdentity | None
        if peer_certificate is not None:
            identity = None
            if _currently_valid(peer_certificate):
                identity = await self._auth.by_certificate(peer_certificate.pem)
            if identity is None:
                return Refused(ReasonCode.NOT_AUTHORIZED)
        else:
            password = connect.password.decode(errors="replace") if connect.password else None
            outcome = await self._auth.mqtt_connect(connect.client_id, connect.username, password)
            if outcome.identity is None:
                assert outcome.failure is not None
                return Refused(ReasonCode(outcome.failure))
            identity = outcome.identity
        profile = await self._profiles.get(identity.device_profile_id)
        return Accepted(MqttDeviceSession(identity, profile), session_key=identity.device_id)

    async def on_connect(self, session: DeviceSessionT) -> None:
        """Register the live session for pushes and RPCs; record the connect."""
        context = session.context
        context.session = session
        identity = context.identity
        context.unregister = self._sessions.register(
            identity.device_id, identity.tenant_id, context
        )
        self._api.state.connected(identity.device_id, identity.tenant_id)
        if identity.is_gateway and self.gateway is not None:
            await self.gateway.on_connect(context)
        log.debug("%r connected", context)

    async def on_disconnect(self, session: DeviceSessionT, reason: ReasonCode) -> None:
        """Forget the session everywhere; record the disconnect."""
        context = session.context
        unregister, context.unregister = context.unregister, None
        if unregister is not None:
            unregister()
        context.close()
        if context.has_session_id:  # else no client RPC was filed under it
            self._api.client_rpc_replies.cancel_session(str(context.session_id))
        identity = context.identity
        if identity.is_gateway and self.gateway is not None:
            await self.gateway.on_disconnect(context)
        self._api.state.disconnected(identity.device_id, identity.tenant_id)
        log.debug("%r disconnected (0x%02X)", context, reason)

    # --- SUBSCRIBE -----------------------------------------------------------------------

    async def on_subscribe(
        self, session: DeviceSessionT, subscriptions: list[Subscription]
    ) -> Sequence[int]:
        """Grant min(QoS, 1) to the §2.4 filters; 0x8F (v3: 0x80) for anything else."""
        context = session.context
        codes: list[int] = []
        for subscription in subscriptions:
            topic_filter = subscription.topic_filter
            known = SUBSCRIBE_FILTERS.get(topic_filter)
            if known is None and topic_filter == context.profile.attributes_subscribe_filter:
                known = (Effect.ATTRIBUTE_UPDATES, Family.V1)
            if known is None:
                log.warning("%r: refused subscription to %r", context, topic_filter)
                codes.append(ReasonCode.TOPIC_FILTER_INVALID)
                continue
            qos = min(subscription.qos, 1)
            context.subscriptions.pop(topic_filter, None)  # re-subscribing makes it newest
            context.subscriptions[topic_filter] = (qos, known[0], known[1])
            codes.append(qos)
        return codes

    async def on_unsubscribe(
        self, session: DeviceSessionT, topic_filters: list[str]
    ) -> Sequence[int]:
        """Remove subscriptions (and their side effects); 0x11 for one never made."""
        subscriptions = session.context.subscriptions
        return [
            ReasonCode.SUCCESS
            if subscriptions.pop(topic_filter, None) is not None
            else ReasonCode.NO_SUBSCRIPTION_EXISTED
            for topic_filter in topic_filters
        ]

    # --- PUBLISH -------------------------------------------------------------------------

    async def on_publish(self, session: DeviceSessionT, publish: Publish) -> PublishResult:
        """Route, handle, and answer per the ack matrix (module docstring)."""
        context = session.context
        routed = route(publish.topic, context.profile)
        if routed is None:
            log.warning("%r: publish to unknown topic %r", context, publish.topic)
            return _UNKNOWN_TOPIC
        try:
            if routed.family is Family.V2_PROTO:
                raise PayloadError("Protobuf payloads are not supported")
            return await self._handlers[routed.uplink](context, routed, publish)
        except PayloadError as exc:
            log.warning("%r: bad payload on %r: %s", context, publish.topic, exc)
            if session.v5 or context.profile.send_ack_on_validation_exception:
                return PublishResult(ack=ReasonCode.PAYLOAD_FORMAT_INVALID)
            return PublishResult(ack=None, disconnect=ReasonCode.PAYLOAD_FORMAT_INVALID)
        except RateLimited:
            if session.v5:
                return _RATE_LIMITED
            return PublishResult(ack=None, disconnect=ReasonCode.QUOTA_EXCEEDED)
        except BackendError:
            return _BACKEND_ERROR

    async def _telemetry(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        await self._api.post_telemetry(context.identity, publish.payload)
        return ACCEPTED

    async def _attributes(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        await self._api.post_attributes(context.identity, publish.payload)
        return ACCEPTED

    async def _attribute_request(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        request_id = self._api.request_id(routed.suffix)
        keys = attribute_keys_from_json(publish.payload)
        body = await self._api.get_attributes(context.identity, keys)
        context.publish_later(ATTRIBUTE_RESPONSE[routed.family] + str(request_id), body)
        return ACCEPTED

    async def _rpc_reply(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        request_id = self._api.request_id(routed.suffix)
        self._api.rpc_reply(context.identity, request_id, publish.payload)
        return ACCEPTED

    async def _client_rpc(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        request_id = self._api.request_id(routed.suffix)
        topic = RPC_RESPONSE[routed.family] + str(request_id)
        if routed.family is Family.V1 and _is_session_limits(publish.payload):
            rate_limits = await self._api.session_rate_limits(context.identity)
            gateway = context.identity.is_gateway
            context.publish_later(topic, self._limits.render(rate_limits, gateway=gateway))
            return ACCEPTED
        answer = await self._api.client_rpc(
            context.identity, str(context.session_id), request_id, publish.payload
        )

        async def reply() -> None:
            await context.publish_quietly(topic, (await answer).encode())

        context.spawn(reply())
        return ACCEPTED

    async def _claim(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        await self._api.claim(context.identity, publish.payload)
        return ACCEPTED

    async def _gateway(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        if not context.identity.is_gateway:
            log.warning("%r: %r refused, the device is not a gateway", context, publish.topic)
            return _NOT_A_GATEWAY
        if self.gateway is None:
            log.warning("%r: gateway API not available, %r refused", context, publish.topic)
            return _UNKNOWN_TOPIC
        return await self.gateway.on_publish(context, publish)

    async def _ota_chunk(
        self, context: MqttDeviceSession, routed: Route, publish: Publish
    ) -> PublishResult:
        if self.ota is None:
            return _UNKNOWN_TOPIC
        kind = _OTA_KINDS[routed.uplink]
        return await self.ota.on_chunk_request(context, kind, routed, publish)


_OTA_KINDS = {
    Uplink.FIRMWARE_CHUNK: OtaPackageType.FIRMWARE,
    Uplink.SOFTWARE_CHUNK: OtaPackageType.SOFTWARE,
}


def _is_session_limits(payload: bytes) -> bool:
    """True for ``{"method": "getSessionLimits", ...}`` (cheap test before parsing)."""
    if SESSION_LIMITS_METHOD.encode() not in payload:
        return False
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and body.get("method") == SESSION_LIMITS_METHOD


def _currently_valid(certificate: PeerCertificate) -> bool:
    """The certificate's validity period includes now (spec §2.2)."""
    try:
        parsed = x509.load_der_x509_certificate(certificate.der)
    except ValueError:
        log.warning("unreadable client certificate")
        return False
    now = dt.datetime.now(dt.UTC)
    return parsed.not_valid_before_utc <= now <= parsed.not_valid_after_utc
