"""Gateway-self RPCs about children: renamed and deleted (spec §5.5, checklist 46)."""

from __future__ import annotations

import uuid

from industryos.entities.models import Device
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.gateway.conftest import GatewayFactory


def _child(live: LiveNode, client: object, name: str) -> Device:
    assert client.publish("v1/gateway/connect", {"device": name}) == 0  # type: ignore[attr-defined]
    device: Device = live.run(live.core.devices.find_by_name(live.admin, name))
    return device


def test_deleted_child_is_announced(live: LiveNode, gateway: GatewayFactory) -> None:
    """Deleting a child sends ``gateway_device_deleted`` with its name to the gateway."""
    _, client = gateway()
    name = f"doomed-{uuid.uuid4().hex[:8]}"
    child = _child(live, client, name)
    child_id = child.id
    assert child_id is not None
    live.run(live.core.devices.delete(live.admin, child_id))
    request = client.next_message_prefix("v1/devices/me/rpc/request/")
    assert request == {"method": "gateway_device_deleted", "params": name}
    sessions = live.node.devices.sessions  # type: ignore[union-attr]
    assert live.call(lambda: not sessions.is_connected(child_id))


def test_renamed_child_is_announced(live: LiveNode, gateway: GatewayFactory) -> None:
    """A rename sends ``gateway_device_renamed`` ``{old: new}``; the new name routes."""
    _, client = gateway()
    old, new = f"old-{uuid.uuid4().hex[:8]}", f"new-{uuid.uuid4().hex[:8]}"
    child = _child(live, client, old)
    live.run(live.core.devices.save(live.admin, child.model_copy(update={"name": new})))
    request = client.next_message_prefix("v1/devices/me/rpc/request/")
    assert request == {"method": "gateway_device_renamed", "params": {old: new}}
    assert client.publish("v1/gateway/telemetry", {new: [{"t": 1}]}) == 0
    latest = live.wait_for(lambda: live.latest(child))
    assert set(latest) == {"t"}


def test_unrelated_device_is_not_announced(live: LiveNode, gateway: GatewayFactory) -> None:
    """A device no gateway knows gets no notice."""
    gateway()
    other = live.create_device(f"lonely-{uuid.uuid4().hex[:8]}")
    notices = live.node.devices.gateway_notices  # type: ignore[union-attr]
    assert other.id is not None
    assert not live.run(notices.device_renamed(other.id, "whatever"))
    assert not live.run(notices.device_deleted(other.id))
