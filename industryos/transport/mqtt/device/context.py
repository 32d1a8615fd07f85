"""One device's MQTT session as the core sees it: subscriptions, families, downlinks.

:class:`MqttDeviceSession` is the context the adapter's ``authenticate`` returns; the MQTT
core hands it back with every hook. It implements the core's
:class:`~industryos.devices.sessions.DeviceSession`, so shared-attribute pushes and
server RPCs reach the device without the core knowing any topic.

Downlinks are published whether or not a subscription matches (spec §2.3), at the QoS
granted to the first matching subscription, or QoS 1 when none matches.

One per connected device, so it has slots and makes its subscription table, task set and
session id only when first needed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from industryos.devices.sessions import DeliveryFailed, RpcRequest
from industryos.transport.auth import DeviceIdentity
from industryos.transport.mqtt.device.profiles import MqttProfile
from industryos.transport.mqtt.device.topics import (
    ATTRIBUTE_UPDATES,
    RPC_REQUEST,
    Effect,
    Family,
    filter_matches,
)
from industryos.transport.mqtt.errors import DeliveryError
from industryos.transport.mqtt.session import Session

__all__ = ["MqttDeviceSession"]

log = logging.getLogger(__name__)


class MqttDeviceSession:
    """A device's MQTT session: what it subscribed to and how to reach it."""

    __slots__ = (
        "__weakref__",  # OTA downloads are kept per session in a WeakKeyDictionary
        "_session_id",
        "_subscriptions",
        "_tasks",
        "identity",
        "profile",
        "session",
        "unregister",
    )

    def __init__(self, identity: DeviceIdentity, profile: MqttProfile) -> None:
        self.identity = identity
        self.profile = profile
        self._session_id: uuid.UUID | None = None
        self.session: Session[MqttDeviceSession] | None = None
        self._subscriptions: dict[str, tuple[int, Effect | None, Family]] | None = None
        self._tasks: set[asyncio.Task[None]] | None = None
        self.unregister: Callable[[], None] | None = None
        """Removes the live session from the device registry (kept here, not in a map)."""

    def __repr__(self) -> str:
        return f"<MqttDeviceSession {self.identity.device_name!r} {self._session_id or '-'}>"

    @property
    def session_id(self) -> uuid.UUID:
        """Unique per connection (drawn when first asked for)."""
        if self._session_id is None:
            self._session_id = uuid.uuid4()
        return self._session_id

    @property
    def has_session_id(self) -> bool:
        """Someone asked for :attr:`session_id` (so something may be filed under it)."""
        return self._session_id is not None

    @property
    def subscriptions(self) -> dict[str, tuple[int, Effect | None, Family]]:
        """Granted filters: filter → (QoS, side effect, family), in subscription order."""
        if self._subscriptions is None:
            self._subscriptions = {}
        return self._subscriptions

    def _effect_family(self, effect: Effect) -> Family | None:
        """The family of the newest subscription with ``effect``, None if there is none."""
        family = None
        for _qos, sub_effect, sub_family in (self._subscriptions or {}).values():
            if sub_effect is effect:
                family = sub_family
        return family

    @property
    def wants_attribute_updates(self) -> bool:
        """Subscribed to shared-attribute updates (v1, v2 or the profile's filter)."""
        return self._effect_family(Effect.ATTRIBUTE_UPDATES) is not None

    @property
    def wants_rpc(self) -> bool:
        """Subscribed to server-side RPCs."""
        return self._effect_family(Effect.RPC) is not None

    def downlink_qos(self, topic: str) -> int:
        """The granted QoS of the first subscription matching ``topic``, else 1."""
        for topic_filter, (qos, _effect, _family) in (self._subscriptions or {}).items():
            if filter_matches(topic_filter, topic):
                return qos
        return 1

    async def publish(self, topic: str, body: bytes) -> None:
        """Publish to the device; raises :class:`DeliveryFailed` when it cannot."""
        session = self.session
        if session is None:
            raise DeliveryFailed("session not open")
        try:
            await session.publish(topic, body, self.downlink_qos(topic))
        except DeliveryError as exc:
            raise DeliveryFailed(str(exc) or type(exc).__name__) from exc

    def publish_later(self, topic: str, body: bytes) -> None:
        """Publish in the background, after the PUBACK the caller is about to send."""
        self.spawn(self.publish_quietly(topic, body))

    def publish_stream_later(self, topic: str, length: int, pieces: AsyncIterator[bytes]) -> None:
        """:meth:`publish_later` for ``length`` bytes read from ``pieces`` as they are sent."""
        self.spawn(self._publish_stream(topic, length, pieces))

    async def _publish_stream(self, topic: str, length: int, pieces: AsyncIterator[bytes]) -> None:
        session = self.session
        if session is None:
            return
        try:
            await session.publish_stream(
                topic, pieces=pieces, length=length, qos=self.downlink_qos(topic)
            )
        except DeliveryError as exc:
            log.debug("%r: %s not delivered: %s", self, topic, exc)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task owned by this session (cancelled when it ends)."""
        task = asyncio.create_task(coro)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def publish_quietly(self, topic: str, body: bytes) -> None:
        try:
            await self.publish(topic, body)
        except DeliveryFailed as exc:
            log.debug("%r: %s not delivered: %s", self, topic, exc)

    def close(self) -> None:
        """The session ended: stop its background publishes."""
        for task in list(self._tasks or ()):
            task.cancel()

    # --- DeviceSession -------------------------------------------------------------------

    async def send_attribute_update(self, body: bytes) -> None:
        """Push a shared-attribute change in the family of the attributes subscription.

        The profile's custom subscribe filter still gets pushes on the v1 topic (§2.15).
        """
        family = self._effect_family(Effect.ATTRIBUTE_UPDATES)
        if family is None:
            raise DeliveryFailed("not subscribed to attribute updates")
        await self.publish(ATTRIBUTE_UPDATES[family], body)

    async def send_rpc_request(self, request: RpcRequest) -> None:
        """Send a server RPC on ``…/rpc/request/{id}``; returns once the device has it."""
        family = self._effect_family(Effect.RPC)
        if family is None:
            raise DeliveryFailed("not subscribed to RPC requests")
        await self.publish(RPC_REQUEST[family] + str(request.request_id), request.body())
