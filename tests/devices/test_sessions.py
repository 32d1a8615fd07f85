"""Shared-attribute pushes from the registry: shared scope only, deletes apart, subscribers only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import orjson

from industryos.devices.sessions import RpcRequest, SessionRegistry
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType
from industryos.telemetry.listeners import AttributesDeleted, AttributesUpdated, ListenerRegistry


@dataclass
class PushSession:
    wants_attribute_updates: bool = True
    wants_rpc: bool = False
    session_id: uuid.UUID = field(default_factory=uuid.uuid4)
    pushes: list[object] = field(default_factory=list)

    async def send_attribute_update(self, body: bytes) -> None:
        self.pushes.append(orjson.loads(body))

    async def send_rpc_request(self, request: RpcRequest) -> None:
        raise AssertionError("not used")


async def test_shared_changes_reach_subscribed_sessions_only() -> None:
    listeners = ListenerRegistry()
    registry = SessionRegistry(listeners)
    tenant, device = uuid.uuid4(), uuid.uuid4()
    subscribed, silent = PushSession(), PushSession(wants_attribute_updates=False)
    unregister = registry.register(device, tenant, subscribed)
    unregister_silent = registry.register(device, tenant, silent)
    entries = (
        AttributeKvEntry("t", 22, DataType.LONG, 1),
        AttributeKvEntry("j", '{"a":[1]}', DataType.JSON, 1),
    )
    listeners.publish(AttributesUpdated(tenant, device, AttributeScope.SHARED_SCOPE, entries))
    listeners.publish(AttributesUpdated(tenant, device, AttributeScope.SERVER_SCOPE, entries))
    listeners.publish(AttributesUpdated(tenant, device, AttributeScope.CLIENT_SCOPE, entries))
    listeners.publish(AttributesDeleted(tenant, device, AttributeScope.SHARED_SCOPE, ("t",)))
    listeners.publish(AttributesDeleted(tenant, uuid.uuid4(), AttributeScope.SHARED_SCOPE, ("x",)))
    await registry.close()
    assert subscribed.pushes == [{"t": 22, "j": {"a": [1]}}, {"deleted": ["t"]}]
    assert silent.pushes == []
    assert len(registry) == 2 and len(listeners) == 1  # one listener per connected device
    unregister()
    assert registry.sessions_of(device) == [silent]
    unregister_silent()
    assert not registry.is_connected(device) and len(listeners) == 0


async def test_unregister_removes_only_its_own_session_once() -> None:
    listeners = ListenerRegistry()
    registry = SessionRegistry(listeners)
    tenant, device, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first, second, elsewhere = PushSession(), PushSession(), PushSession()
    unregister_first = registry.register(device, tenant, first)
    registry.register(other, tenant, elsewhere)
    unregister_first()
    assert not registry.is_connected(device) and len(listeners) == 1
    registry.register(device, tenant, second)
    unregister_first()  # a stale remover must not touch the device's new session
    assert registry.sessions_of(device) == [second] and len(listeners) == 2
    entries = (AttributeKvEntry("k", 1, DataType.LONG, 1),)
    listeners.publish(AttributesUpdated(tenant, device, AttributeScope.SHARED_SCOPE, entries))
    await registry.close()
    assert second.pushes == [{"k": 1}] and first.pushes == [] and elsewhere.pushes == []
