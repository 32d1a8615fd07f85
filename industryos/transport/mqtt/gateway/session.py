"""Gateways and their children's virtual sessions, kept across gateway reconnects.

Each child a gateway connects (or sends data for) gets a :class:`ChildSession` in the
session registry, so shared-attribute pushes and server RPCs for the child find it like
any device session, and go out on the gateway's connection as ``v1/gateway/attributes``
and ``v1/gateway/rpc`` (spec §5.3). A child is subscribed to both from the start (§5.1).

Unlike ThingsBoard, a gateway's set of children outlives its connection (§5.6 item 9:
gateway 3.8.5 does not re-send ``connect`` for children it already knows). While the
gateway is offline its children are unregistered and recorded as disconnected; when it
comes back they are registered again. A child leaves the set only on
``v1/gateway/disconnect`` or when it is deleted. The first connection of a gateway after
a node start restores the children it created (``ChildDirectory.created_children``).

Design limit: in-process. In a cluster a gateway reconnecting to another node gets its
children back from its ``Created`` relations only.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson

from industryos.devices.sessions import DeliveryFailed, RpcRequest, SessionRegistry
from industryos.devices.state import DeviceStateTracker
from industryos.transport.auth import DeviceIdentity
from industryos.transport.mqtt.device.context import MqttDeviceSession
from industryos.transport.mqtt.gateway.topics import Downlink

__all__ = ["ChildSession", "Gateway", "GatewayRegistry"]

log = logging.getLogger(__name__)


class ChildSession:
    """A child device's session over its gateway's connection (a ``DeviceSession``)."""

    def __init__(self, identity: DeviceIdentity, gateway: Gateway) -> None:
        self.identity = identity
        self._gateway = gateway
        self._session_id = uuid.uuid4()
        self.unregister: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"<ChildSession {self.identity.device_name!r} via {self._gateway!r}>"

    @property
    def session_id(self) -> uuid.UUID:
        """Unique per child session."""
        return self._session_id

    @property
    def wants_attribute_updates(self) -> bool:
        """Children are subscribed to shared-attribute updates implicitly (§5.1)."""
        return True

    @property
    def wants_rpc(self) -> bool:
        """Children are subscribed to server RPCs implicitly (§5.1)."""
        return True

    async def send_attribute_update(self, body: bytes) -> None:
        """``v1/gateway/attributes`` ``{"device", "data"}``."""
        await self._gateway.publish(Downlink.ATTRIBUTES, self._envelope(body))

    async def send_rpc_request(self, request: RpcRequest) -> None:
        """``v1/gateway/rpc`` ``{"device", "data": {"id", "method", "params"}}``."""
        await self._gateway.publish(Downlink.RPC, self._envelope(request.body(with_id=True)))

    def _envelope(self, data: bytes) -> bytes:
        return orjson.dumps({"device": self.identity.device_name, "data": orjson.Fragment(data)})


@dataclass(eq=False)
class Gateway:
    """One gateway device: its current connection and its children by name."""

    identity: DeviceIdentity
    connection: MqttDeviceSession | None = None
    children: dict[str, ChildSession] = field(default_factory=dict)
    restored: bool = False
    """True once the children it created were loaded after a node start."""

    def __repr__(self) -> str:
        return f"<Gateway {self.identity.device_name!r}>"

    async def publish(self, topic: str, body: bytes) -> None:
        """Publish on the gateway's live connection; :class:`DeliveryFailed` if offline."""
        connection = self.connection
        if connection is None:
            raise DeliveryFailed("gateway offline")
        await connection.publish(topic, body)

    def child(self, name: str) -> ChildSession | None:
        """The child called ``name`` (the per-gateway cache: no database read)."""
        return self.children.get(name)

    def child_by_id(self, device_id: uuid.UUID) -> ChildSession | None:
        """The child with this device id (for rename/delete notices)."""
        return next((c for c in self.children.values() if c.identity.device_id == device_id), None)


class GatewayRegistry:
    """Gateway device id → :class:`Gateway`, and the children's registrations."""

    def __init__(self, sessions: SessionRegistry, state: DeviceStateTracker) -> None:
        self._sessions = sessions
        self._state = state
        self._gateways: dict[uuid.UUID, Gateway] = {}

    def get(self, gateway_id: uuid.UUID) -> Gateway | None:
        """The known gateway with this device id."""
        return self._gateways.get(gateway_id)

    def __iter__(self) -> Iterator[Gateway]:
        return iter(list(self._gateways.values()))

    def attach(self, connection: MqttDeviceSession) -> Gateway:
        """The gateway connected: route its children over ``connection`` again."""
        identity = connection.identity
        gateway = self._gateways.get(identity.device_id)
        if gateway is None:
            gateway = self._gateways[identity.device_id] = Gateway(identity)
        gateway.identity = identity
        gateway.connection = connection
        for child in gateway.children.values():
            self._online(child)
        return gateway

    def detach(self, connection: MqttDeviceSession) -> None:
        """The gateway's connection ended: its children go offline but are kept."""
        gateway = self._gateways.get(connection.identity.device_id)
        if gateway is None or gateway.connection is not connection:
            return
        gateway.connection = None
        for child in gateway.children.values():
            self._offline(child)

    def add_child(self, gateway: Gateway, identity: DeviceIdentity) -> ChildSession:
        """Give ``identity`` a session through ``gateway`` (replacing one of that name)."""
        self.remove_child(gateway, identity.device_name)
        child = gateway.children[identity.device_name] = ChildSession(identity, gateway)
        if gateway.connection is not None:
            self._online(child)
        log.debug("%r: child %r connected", gateway, identity.device_name)
        return child

    def remove_child(self, gateway: Gateway, name: str) -> ChildSession | None:
        """End the child's session and forget it (``v1/gateway/disconnect``, deletion)."""
        child = gateway.children.pop(name, None)
        if child is not None:
            self._offline(child)
            log.debug("%r: child %r disconnected", gateway, name)
        return child

    def rename_child(self, gateway: Gateway, old: str, new: str) -> None:
        """The child was renamed: the gateway will use ``new`` from now on."""
        child = gateway.children.pop(old, None)
        if child is None:
            return
        self._offline(child)
        self.add_child(gateway, dataclasses.replace(child.identity, device_name=new))

    def _online(self, child: ChildSession) -> None:
        if child.unregister is not None:
            return
        identity = child.identity
        child.unregister = self._sessions.register(identity.device_id, identity.tenant_id, child)
        self._state.connected(identity.device_id, identity.tenant_id)

    def _offline(self, child: ChildSession) -> None:
        if child.unregister is None:
            return
        child.unregister()
        child.unregister = None
        identity = child.identity
        self._state.disconnected(identity.device_id, identity.tenant_id)
