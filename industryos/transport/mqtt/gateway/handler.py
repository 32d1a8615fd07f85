"""The gateway API over MQTT (spec §5): one gateway connection's ``v1/gateway/*`` publishes.

The device adapter hands every ``v1/gateway/*`` publish of a gateway device here (its
``gateway`` dispatch point), plus the gateway's connects and disconnects. Each topic of
``topics.Uplink`` has one handler in the table below; a handler calls the
transport-neutral :class:`DeviceApi` as the child device, so children's messages are
normalised, queued and acknowledged exactly like a directly connected device's. A
multi-device message is acknowledged once, after every part is durable.

Answers (§5.2; raised as ``errors.py`` errors and mapped in one place):

=========================================  ==============================================
situation                                  answer
=========================================  ==============================================
accepted                                   PUBACK 0x00
unknown ``v1/gateway/...`` topic           PUBACK 0x90, session kept
body not JSON, a child part unreadable     v5: PUBACK 0x99, session kept; v3: close
a child or the tenant over a rate limit    v5: PUBACK 0x97, session kept; v3: close
a new child past the profile's maxDevices  v5: PUBACK 0x97, session kept; v3: close
not an object, nothing usable, empty name  PUBACK 0x83, then close
queue or database failure                  PUBACK 0x80, then close
=========================================  ==============================================

Children are resolved by name through the gateway's own cache (``session.py``); only a
name never seen by this gateway costs a database round-trip (``children.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError

from industryos.entities.errors import EntitiesLimitExceeded, EntityError
from industryos.transport.auth import DeviceIdentity
from industryos.transport.device_api import BackendError, DeviceApi, PayloadError, RateLimited
from industryos.transport.mqtt.application import ACCEPTED, PublishResult
from industryos.transport.mqtt.device.context import MqttDeviceSession
from industryos.transport.mqtt.gateway import payloads
from industryos.transport.mqtt.gateway.children import ChildDirectory
from industryos.transport.mqtt.gateway.errors import (
    GatewayError,
    GatewayPayloadError,
    GatewayRateLimited,
)
from industryos.transport.mqtt.gateway.session import Gateway, GatewayRegistry
from industryos.transport.mqtt.gateway.topics import Downlink, Uplink
from industryos.transport.mqtt.packets import Publish
from industryos.transport.mqtt.reason_codes import ReasonCode

__all__ = ["DEFAULT_CHILD_TYPE", "GatewayHandler"]

log = logging.getLogger(__name__)

DEFAULT_CHILD_TYPE = "default"
_UNKNOWN_TOPIC = PublishResult(ack=ReasonCode.TOPIC_NAME_INVALID)

Handler = Callable[[Gateway, MqttDeviceSession, dict[str, Any]], Awaitable[None]]


class GatewayHandler:
    """Implements the adapter's ``GatewayApi`` for every gateway session of a node."""

    def __init__(
        self, api: DeviceApi, directory: ChildDirectory, gateways: GatewayRegistry
    ) -> None:
        self._api = api
        self._directory = directory
        self.gateways = gateways
        self._handlers: dict[str, Handler] = {
            Uplink.CONNECT: self._connect,
            Uplink.DISCONNECT: self._disconnect,
            Uplink.TELEMETRY: self._telemetry,
            Uplink.ATTRIBUTES: self._attributes,
            Uplink.ATTRIBUTE_REQUEST: self._attribute_request,
            Uplink.RPC_REPLY: self._rpc_reply,
            Uplink.CLAIM: self._claim,
        }

    # --- gateway connection ----------------------------------------------------------------

    async def on_connect(self, connection: MqttDeviceSession) -> None:
        """The gateway is online: its known children are reachable again."""
        gateway = self.gateways.attach(connection)
        if gateway.restored:
            return
        gateway.restored = True
        try:
            created = await self._directory.created_children(gateway.identity)
        except (EntityError, SQLAlchemyError, OSError):
            log.exception("%r: children could not be restored", gateway)
            return
        for identity in created:
            if identity.device_name not in gateway.children:
                self.gateways.add_child(gateway, identity)

    async def on_disconnect(self, connection: MqttDeviceSession) -> None:
        """The gateway went away: its children go offline (and are kept)."""
        self.gateways.detach(connection)

    # --- publishes -------------------------------------------------------------------------

    async def on_publish(self, connection: MqttDeviceSession, publish: Publish) -> PublishResult:
        """Route by topic, handle, and answer per the table of the module docstring."""
        handler = self._handlers.get(publish.topic)
        if handler is None:
            log.warning("%r: publish to unknown topic %r", connection, publish.topic)
            return _UNKNOWN_TOPIC
        gateway = self.gateways.get(connection.identity.device_id)
        if gateway is None or gateway.connection is not connection:
            gateway = self.gateways.attach(connection)
        v5 = connection.session.v5 if connection.session is not None else True
        try:
            await handler(gateway, connection, payloads.parse(publish.payload))
        except PayloadError as exc:
            log.warning("%r: bad payload on %r: %s", connection, publish.topic, exc)
            return GatewayPayloadError(str(exc)).result(v5)
        except RateLimited as exc:
            return GatewayRateLimited(str(exc)).result(v5)
        except GatewayError as exc:
            log.warning("%r: refused %r: %s", connection, publish.topic, exc)
            return exc.result(v5)
        except BackendError as exc:
            return GatewayError(str(exc)).result(v5)
        except EntitiesLimitExceeded as exc:  # a tenant quota, not a backend failure
            log.warning("%r: child not created on %r: %s", connection, publish.topic, exc)
            return GatewayRateLimited(str(exc)).result(v5)
        except (EntityError, SQLAlchemyError, OSError) as exc:
            log.error("%r: %r failed: %r", connection, publish.topic, exc)
            return GatewayError(str(exc)).result(v5)
        return ACCEPTED

    async def _child(
        self, gateway: Gateway, name: str, device_type: str = DEFAULT_CHILD_TYPE
    ) -> DeviceIdentity:
        """The child called ``name``: from the gateway's cache, else found or created."""
        child = gateway.child(name)
        if child is not None:
            return child.identity
        identity = await self._directory.get_or_create(gateway.identity, name, device_type)
        return self.gateways.add_child(gateway, identity).identity

    async def _each(
        self,
        gateway: Gateway,
        parts: dict[str, Any],
        action: Callable[[DeviceIdentity, Any], Coroutine[Any, Any, object]],
    ) -> None:
        """Run ``action`` for every child part; raise the first failure after all ran."""
        children = [await self._child(gateway, name) for name in parts]
        results = await asyncio.gather(
            *(action(child, part) for child, part in zip(children, parts.values(), strict=True)),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _connect(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        name = payloads.device_name(body)
        device_type = body.get("type")
        if not isinstance(device_type, str) or not device_type.strip():
            device_type = DEFAULT_CHILD_TYPE
        await self._child(gateway, name, device_type)

    async def _disconnect(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        self.gateways.remove_child(gateway, payloads.device_name(body))

    async def _telemetry(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        parts = payloads.device_parts(body, lambda part: isinstance(part, list))

        async def post(child: DeviceIdentity, items: list[Any]) -> int:
            return await self._api.post_telemetry(child, payloads.telemetry_part(items))

        await self._each(gateway, parts, post)

    async def _attributes(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        parts = payloads.device_parts(body, lambda part: isinstance(part, dict))

        async def post(child: DeviceIdentity, values: dict[str, Any]) -> int:
            return await self._api.post_attributes(child, orjson.dumps(values))

        await self._each(gateway, parts, post)

    async def _attribute_request(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        request = payloads.attribute_request(body)
        child = await self._child(gateway, request.device)
        answer = await self._api.get_attributes(child, request.keys)
        connection.publish_later(
            Downlink.ATTRIBUTE_RESPONSE, payloads.attribute_response(request, answer)
        )

    async def _rpc_reply(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        name, request_id, reply = payloads.rpc_reply_body(body)
        child = await self._child(gateway, name)
        self._api.rpc_reply(child, request_id, reply)

    async def _claim(
        self, gateway: Gateway, connection: MqttDeviceSession, body: dict[str, Any]
    ) -> None:
        parts = payloads.device_parts(body, lambda part: isinstance(part, dict))

        async def claim(child: DeviceIdentity, request: dict[str, Any]) -> bool:
            return await self._api.claim(child, orjson.dumps(request))

        await self._each(gateway, parts, claim)
