"""Provision-only MQTT sessions (spec device-api §2.12) in front of the device adapter.

A CONNECT with username or clientId ``provision`` is accepted without credentials and
gets a :class:`MqttProvisionSession`; every other CONNECT goes to the device adapter
unchanged. :class:`ProvisioningMqttApplication` wraps the device application the way a
middleware wraps an app: it answers the provision sessions' hooks itself and forwards
everything else.

A provision session may only:

* subscribe to ``/provision/response`` (QoS min(requested, 1)); anything else → 0x8F (v3 0x80);
* publish to ``/provision/request``: PUBACK once the request is decided, then the response on
  ``/provision/response`` (QoS 1 unless the client subscribed with QoS 0). A request
  without key or secret, or not JSON, is PUBACK 0x83 and a close. Any other topic is
  PUBACK 0x90 and a close (a plain close on v3).

The connection is closed ``session_timeout_s`` (60 s) after CONNECT, and again that long
after each response, so an idle provision session cannot linger.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from typing import Any, cast

from industryos.devices.provision_wire import ProvisionRequestError, parse_request
from industryos.devices.provisioning import Provisioner
from industryos.transport.mqtt.application import (
    ACCEPTED,
    Accepted,
    AuthResult,
    PeerCertificate,
    PublishResult,
)
from industryos.transport.mqtt.device.adapter import MqttDeviceApplication
from industryos.transport.mqtt.device.context import MqttDeviceSession
from industryos.transport.mqtt.errors import DeliveryError
from industryos.transport.mqtt.packets import Connect, Publish, Subscription
from industryos.transport.mqtt.reason_codes import ReasonCode
from industryos.transport.mqtt.session import Session

__all__ = [
    "PROVISION_REQUEST",
    "PROVISION_RESPONSE",
    "MqttProvisionSession",
    "ProvisioningMqttApplication",
]

log = logging.getLogger(__name__)

PROVISION_LOGIN = "provision"
PROVISION_REQUEST = "/provision/request"
PROVISION_RESPONSE = "/provision/response"
DEFAULT_SESSION_TIMEOUT_S = 60.0

_BAD_REQUEST = PublishResult(
    ack=ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR,
    disconnect=ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR,
)
_FORBIDDEN_TOPIC = PublishResult(
    ack=ReasonCode.TOPIC_NAME_INVALID, disconnect=ReasonCode.TOPIC_NAME_INVALID
)


class MqttProvisionSession:
    """A provision-only connection: its response QoS and its background tasks."""

    def __init__(self) -> None:
        self.session: Session[MqttDeviceSession | MqttProvisionSession] | None = None
        self.response_qos = 1
        self._tasks: set[asyncio.Task[None]] = set()
        self._deadline: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<MqttProvisionSession {id(self):x}>"

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine owned by this session (cancelled when it ends)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close_after(self, seconds: float) -> None:
        """(Re)start the timer that ends the connection."""
        if self._deadline is not None:
            self._deadline.cancel()

        async def expire() -> None:
            await asyncio.sleep(seconds)
            if self.session is not None:
                log.debug("%r: provision session timed out", self)
                self.session.disconnect(ReasonCode.MAXIMUM_CONNECT_TIME)

        self._deadline = asyncio.create_task(expire())

    def close(self) -> None:
        """The connection ended: stop the timer and pending responses."""
        if self._deadline is not None:
            self._deadline.cancel()
        for task in list(self._tasks):
            task.cancel()


AnyContext = MqttDeviceSession | MqttProvisionSession


class ProvisioningMqttApplication:
    """The MQTT application of a node: provision sessions here, devices in the adapter."""

    def __init__(
        self,
        devices: MqttDeviceApplication,
        provisioner: Provisioner,
        *,
        session_timeout_s: float = DEFAULT_SESSION_TIMEOUT_S,
    ) -> None:
        self.devices = devices
        self._provisioner = provisioner
        self.session_timeout_s = session_timeout_s
        """How long a provision session may stay connected (settable for tests)."""

    async def authenticate(
        self, connect: Connect, peer_certificate: PeerCertificate | None
    ) -> AuthResult[AnyContext]:
        """``provision`` as username or clientId opens a provision session, unchecked."""
        if PROVISION_LOGIN in (connect.username, connect.client_id):
            return Accepted(MqttProvisionSession())
        result = await self.devices.authenticate(connect, peer_certificate)
        return cast(AuthResult[AnyContext], result)

    async def on_connect(self, session: Session[AnyContext]) -> None:
        """Start the provision session's timer, or hand the device session over."""
        context = session.context
        if isinstance(context, MqttProvisionSession):
            context.session = session
            context.close_after(self.session_timeout_s)
            return
        await self.devices.on_connect(_device(session))

    async def on_publish(self, session: Session[AnyContext], publish: Publish) -> PublishResult:
        """Decide a provisioning request before the PUBACK; answer right after it."""
        context = session.context
        if not isinstance(context, MqttProvisionSession):
            return await self.devices.on_publish(_device(session), publish)
        if publish.topic != PROVISION_REQUEST:
            log.warning("%r: publish to %r refused", context, publish.topic)
            return _FORBIDDEN_TOPIC
        try:
            request = parse_request(publish.payload)
        except ProvisionRequestError as exc:
            log.warning("%r: unreadable provisioning request: %s", context, exc)
            return _BAD_REQUEST
        response = await self._provisioner.provision(request)
        context.spawn(self._respond(context, response.to_json()))
        return ACCEPTED

    async def _respond(self, context: MqttProvisionSession, body: bytes) -> None:
        session = context.session
        if session is None:
            return
        try:
            await session.publish(PROVISION_RESPONSE, body, context.response_qos)
        except DeliveryError as exc:
            log.debug("%r: provisioning response not delivered: %s", context, exc)
        context.close_after(self.session_timeout_s)

    async def on_subscribe(
        self, session: Session[AnyContext], subscriptions: list[Subscription]
    ) -> Sequence[int]:
        """Only ``/provision/response`` on a provision session."""
        context = session.context
        if not isinstance(context, MqttProvisionSession):
            return await self.devices.on_subscribe(_device(session), subscriptions)
        codes: list[int] = []
        for subscription in subscriptions:
            if subscription.topic_filter != PROVISION_RESPONSE:
                log.warning("%r: refused subscription to %r", context, subscription.topic_filter)
                codes.append(ReasonCode.TOPIC_FILTER_INVALID)
                continue
            context.response_qos = min(subscription.qos, 1)
            codes.append(context.response_qos)
        return codes

    async def on_unsubscribe(
        self, session: Session[AnyContext], topic_filters: list[str]
    ) -> Sequence[int]:
        """Forwarded for devices; a provision session has nothing to unsubscribe from."""
        if not isinstance(session.context, MqttProvisionSession):
            return await self.devices.on_unsubscribe(_device(session), topic_filters)
        return [
            ReasonCode.SUCCESS
            if topic_filter == PROVISION_RESPONSE
            else ReasonCode.NO_SUBSCRIPTION_EXISTED
            for topic_filter in topic_filters
        ]

    async def on_disconnect(self, session: Session[AnyContext], reason: ReasonCode) -> None:
        """Stop a provision session's timer, or hand the device session's end over."""
        context = session.context
        if isinstance(context, MqttProvisionSession):
            context.close()
            return
        await self.devices.on_disconnect(_device(session), reason)


def _device(session: Session[AnyContext]) -> Session[MqttDeviceSession]:
    """The same session typed as a device session (its context was checked by the caller)."""
    return cast("Session[MqttDeviceSession]", session)  # a string: no alias built per call
