"""Children's sessions over the gateway's connection, kept across reconnects (spec §5.1, §5.6).

§5.6 item 9: gateway 3.8.5 does not re-send ``v1/gateway/connect`` after a reconnect, so
its children must stay reachable; checklist 45 (a node restart) is covered by restoring
the children a gateway created.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import orjson

from industryos.devices.rpc import RpcOutcome
from industryos.entities.models import Device
from industryos.telemetry.kv import AttributeScope, kv_entry
from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import (
    LiveNode,
    run_node,
    start_live_node,
    tracked_state,
)
from tests.transport.mqtt.gateway.conftest import GatewayFactory
from tests.transport.mqtt.gateway.gatewayclient import GatewayClient


def _child(live: LiveNode, client: GatewayClient) -> Device:
    name = f"child-{uuid.uuid4().hex[:10]}"
    assert client.publish("v1/gateway/connect", {"device": name, "type": "meter"}) == 0
    device: Device = live.run(live.core.devices.find_by_name(live.admin, name))
    return device


def _answer_rpc(live: LiveNode, client: GatewayClient, child: Device) -> Any:
    """Call ``echo`` on the child; the gateway answers; returns the call's result."""
    rpc = live.node.devices.server_rpc  # type: ignore[union-attr]
    assert child.id is not None
    call = asyncio.run_coroutine_threadsafe(
        rpc.call(child.id, "echo", '{"n":1}', timeout_s=10), live.loop
    )
    request = client.next_message("v1/gateway/rpc")
    assert request["device"] == child.name
    reply = {"device": child.name, "id": request["data"]["id"], "data": {"echo": 1}}
    client.publish("v1/gateway/rpc", reply, qos=0)
    return call.result(15)


def test_children_survive_a_gateway_reconnect(live: LiveNode, gateway: GatewayFactory) -> None:
    """§5.6 item 9: no connect after the reconnect, yet RPCs and pushes reach the child."""
    _, client = gateway()
    child = _child(live, client)
    child_id = child.id
    assert child_id is not None
    state = live.node.devices.state  # type: ignore[union-attr]
    sessions = live.node.devices.sessions  # type: ignore[union-attr]
    assert live.call(lambda: sessions.is_connected(child_id))

    client.close()
    live.wait_for(lambda: live.call(lambda: not sessions.is_connected(child_id)))
    assert live.call(lambda: tracked_state(state, child_id).last_disconnect) > 0
    offline = live.run(
        live.node.devices.server_rpc.call(child_id, "x", "{}", timeout_s=1)  # type: ignore[union-attr]
    )
    assert offline.outcome is RpcOutcome.NO_ACTIVE_CONNECTION

    client.reconnect()
    assert live.call(lambda: sessions.is_connected(child_id))
    assert live.call(lambda: tracked_state(state, child_id).active)
    result = _answer_rpc(live, client, child)
    assert result.outcome is RpcOutcome.RESPONSE
    assert orjson.loads(result.response) == {"echo": 1}
    live.run(
        live.core.telemetry.save_attributes(
            child.tenant_id, child.id, AttributeScope.SHARED_SCOPE, [kv_entry("mode", "eco")]
        )
    )
    push = client.next_message("v1/gateway/attributes")
    assert push == {"device": child.name, "data": {"mode": "eco"}}


def test_child_activity_is_tracked(live: LiveNode, gateway: GatewayFactory) -> None:
    """Device state for children: connect, activity per message, disconnect."""
    _, client = gateway()
    child = _child(live, client)
    child_id = child.id
    assert child_id is not None
    state = live.node.devices.state  # type: ignore[union-attr]
    assert live.call(lambda: tracked_state(state, child_id).last_connect) > 0

    def forget_activity() -> None:
        tracked_state(state, child_id).last_activity = 0

    live.call(forget_activity)
    assert client.publish("v1/gateway/telemetry", {child.name: [{"v": 1}]}) == 0
    assert live.call(lambda: tracked_state(state, child_id).last_activity) > 0
    assert client.publish("v1/gateway/disconnect", {"device": child.name}) == 0
    assert live.call(lambda: tracked_state(state, child_id).last_disconnect) > 0
    # Spec §8: a closed session does not make the device inactive; only silence does.
    assert live.call(lambda: tracked_state(state, child_id).active)


def _restart(live: LiveNode) -> LiveNode:
    """Stop the node and start a new one on the same data directory and database."""
    live.stop()
    return run_node(live.node.settings, live.admin)


def test_node_restart_restores_created_children(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    """Checklist 45: after a node restart the gateway's children answer RPCs at once."""
    live = start_live_node(tmp_path / "node", database_factory.new_url("sqlite"))
    try:
        token = f"gw-{uuid.uuid4().hex[:12]}"
        live.create_device(f"Gateway {token}", token=token, gateway=True)
        client = GatewayClient(live.mqtt_port, token)
        client.start()
        child = _child(live, client)
        client.close()
        live = _restart(live)
        client = GatewayClient(live.mqtt_port, token)
        client.start()
        result = _answer_rpc(live, client, child)
        assert result.outcome is RpcOutcome.RESPONSE
    finally:
        live.stop()
