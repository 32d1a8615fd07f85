"""The gateway API over a real node, paho playing the gateway (spec §5.2, §5.3, §5.6).

Checklist items of spec device-api §10: 21 (gateway limits), 41, 42, 43, 44; §5.6 item 9
(children kept across a gateway reconnect) is in test_session.py, 45 and 46 elsewhere in
this folder and in tests/conformance/test_thingsboard_gateway.py.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
import pytest

from industryos.devices.rpc import RpcOutcome
from industryos.entities.errors import NotFound
from industryos.entities.ids import EntityType
from industryos.entities.models import Device
from industryos.entities.models.relation import EntityRef
from industryos.storage.relations import Direction
from industryos.telemetry.kv import AttributeScope, DataType, kv_entry
from industryos.transport.mqtt.reason_codes import ReasonCode
from tests.transport.mqtt.device.livenode import LiveNode, tracked_state
from tests.transport.mqtt.gateway.conftest import GatewayFactory
from tests.transport.mqtt.gateway.gatewayclient import GatewayClient


def _name(prefix: str = "child") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _find(live: LiveNode, name: str) -> Device:
    device: Device = live.run(live.core.devices.find_by_name(live.admin, name))
    return device


def _connect_child(client: GatewayClient, name: str, device_type: str | None = None) -> None:
    body: dict[str, Any] = {"device": name}
    if device_type is not None:
        body["type"] = device_type
    assert client.publish("v1/gateway/connect", body) == 0


def _rpc(live: LiveNode, device: Device, method: str, params: Any, **kwargs: Any) -> Any:
    rpc = live.node.devices.server_rpc  # type: ignore[union-attr]
    assert device.id is not None
    return live.run(
        rpc.call(device.id, method, orjson.dumps(params).decode(), **kwargs), timeout=30
    )


def test_session_limits_include_gateway_limits(live: LiveNode, gateway: GatewayFactory) -> None:
    """Checklist 21 for a gateway: the answer unblocks it and carries gatewayRateLimits."""
    _, client = gateway(connect=False)
    client.start(limits=False)
    body = {"method": "getSessionLimits", "params": {"timeout": 5000}}
    assert client.publish("v1/devices/me/rpc/request/1", body) == 0
    limits = client.next_message("v1/devices/me/rpc/response/1")
    assert limits["maxPayloadSize"] == 65536
    assert set(limits["gatewayRateLimits"]) == {
        "messages",
        "telemetryMessages",
        "telemetryDataPoints",
    }


def test_connect_creates_child_with_profile_relation_and_gateway(
    live: LiveNode, gateway: GatewayFactory
) -> None:
    """Checklist 42: profile created on the fly, lastConnectedGateway, relation Created."""
    gw, client = gateway()
    name, profile = _name(), _name("Profile")
    _connect_child(client, name, profile)
    child = _find(live, name)
    assert child.type == profile
    assert child.additional_info["lastConnectedGateway"] == str(gw.id)
    stored_profile = live.run(live.core.device_profiles.get(live.admin, child.device_profile_id))
    assert stored_profile.name == profile
    relations = live.run(
        live.core.relations.find(
            live.admin, EntityRef(entity_type=EntityType.DEVICE, id=gw.id), Direction.FROM
        )
    )
    assert [(r.type, r.to.id) for r in relations] == [("Created", child.id)]
    # Connecting again (or with another type) changes nothing: the device is used as is.
    _connect_child(client, name, "Other")
    assert _find(live, name).type == profile


def test_connect_without_type_uses_default_and_existing_device_is_kept(
    live: LiveNode, gateway: GatewayFactory
) -> None:
    """§5.4: type defaults to "default"; an existing device keeps its profile."""
    gw, client = gateway()
    name = _name()
    _connect_child(client, name)
    assert _find(live, name).type == "default"
    existing = live.create_device(_name("existing"))
    _connect_child(client, existing.name, "Whatever")
    found = _find(live, existing.name)
    assert found.type == existing.type
    assert found.additional_info["lastConnectedGateway"] == str(gw.id)


def test_telemetry_for_several_children(live: LiveNode, gateway: GatewayFactory) -> None:
    """Checklist 41: children auto-created by data; metadata dropped; float ts truncated."""
    _, client = gateway()
    a, b = _name("a"), _name("b")
    body = {
        a: [
            {"ts": 1700000000000.75, "values": {"t": 21.5}},
            {"s": "42", "metadata": {"connector": "m", "receivedTs": 1, "publishedTs": 2}},
        ],
        b: [{"ok": True, "o": {"x": 1}}],
        "skipped": {"not": "a list"},
    }
    assert client.publish("v1/gateway/telemetry", body) == 0
    child_a, child_b = _find(live, a), _find(live, b)
    assert child_a.type == "default"
    latest_a = live.wait_for(lambda: (p := live.latest(child_a)) and len(p) == 2 and p)
    assert latest_a["t"].ts == 1700000000000
    assert (latest_a["s"].value, latest_a["s"].data_type) == (42, DataType.LONG)
    assert "metadata" not in latest_a
    latest_b = live.wait_for(lambda: (p := live.latest(child_b)) and len(p) == 2 and p)
    assert latest_b["o"].data_type is DataType.JSON
    with pytest.raises(NotFound):
        _find(live, "skipped")


def test_attributes_are_client_scope(live: LiveNode, gateway: GatewayFactory) -> None:
    """§5.2: ``{"Dev": {k: v}}`` updates the child's client attributes."""
    _, client = gateway()
    name = _name()
    body = {name: {"connectorType": "modbus", "n": "7"}, "bad": [1]}
    assert client.publish("v1/gateway/attributes", body) == 0
    child = _find(live, name)
    stored = live.wait_for(lambda: live.attributes(child, AttributeScope.CLIENT_SCOPE))
    assert stored == {"connectorType": "modbus", "n": 7}


def _set_attributes(live: LiveNode, device: Device, scope: AttributeScope, **values: Any) -> None:
    entries = [kv_entry(key, value) for key, value in values.items()]
    live.run(live.core.telemetry.save_attributes(device.tenant_id, device.id, scope, entries))


def test_attribute_requests(live: LiveNode, gateway: GatewayFactory) -> None:
    """Checklist 43 and §9: value / values / keys [] / client scope / docs' list form."""
    _, client = gateway()
    name = _name()
    _connect_child(client, name)
    child = _find(live, name)
    _set_attributes(live, child, AttributeScope.SHARED_SCOPE, k=1, j="x")
    _set_attributes(live, child, AttributeScope.CLIENT_SCOPE, c=True)
    topic = "v1/gateway/attributes/response"

    def ask(**body: Any) -> Any:
        assert client.publish("v1/gateway/attributes/request", {"device": name, **body}) == 0
        return client.next_message(topic)

    assert ask(id=1, client=False, keys=["k"]) == {"id": 1, "device": name, "value": 1}
    assert ask(id=2, client=False, key="j") == {"id": 2, "device": name, "value": "x"}
    assert ask(id=3, client=False, keys=["k", "j"]) == {
        "id": 3,
        "device": name,
        "values": {"k": 1, "j": "x"},
    }
    assert ask(id=4, client=True, keys=["c"]) == {"id": 4, "device": name, "value": True}
    assert ask(id=5, client=False, keys=[]) == {
        "id": 5,
        "device": name,
        "values": {"c": True, "k": 1, "j": "x"},
    }
    assert ask(id=6, client=False, keys=["nope"]) == {"id": 6, "device": name}
    assert ask(id=7, client=["c"], shared=["k"]) == {
        "id": 7,
        "device": name,
        "values": {"c": True, "k": 1},
    }
    assert client.publish("v1/gateway/attributes/request", {"device": name, "keys": []}) == (
        ReasonCode.PAYLOAD_FORMAT_INVALID
    )


def test_shared_attribute_updates_reach_the_gateway(
    live: LiveNode, gateway: GatewayFactory
) -> None:
    """Checklist 44 (attributes): changes and deletes of SHARED scope only."""
    _, client = gateway()
    name = _name()
    _connect_child(client, name)
    child = _find(live, name)
    _set_attributes(live, child, AttributeScope.SERVER_SCOPE, hidden=1)
    _set_attributes(live, child, AttributeScope.SHARED_SCOPE, target=22.5)
    push = client.next_message("v1/gateway/attributes")
    assert push == {"device": name, "data": {"target": 22.5}}
    live.run(
        live.core.telemetry.delete_attributes(
            child.tenant_id, child.id, AttributeScope.SHARED_SCOPE, ["target"]
        )
    )
    assert client.next_message("v1/gateway/attributes") == {
        "device": name,
        "data": {"deleted": ["target"]},
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [({"done": 1}, {"done": 1}), ('{"done": 2}', {"done": 2}), ("plain", "plain")],
)
def test_rpc_to_a_child(live: LiveNode, gateway: GatewayFactory, data: Any, expected: Any) -> None:
    """Checklist 44 (RPC): request on v1/gateway/rpc; reply data as object or string."""
    _, client = gateway()
    name = _name()
    _connect_child(client, name)
    child = _find(live, name)
    rpc = live.node.devices.server_rpc  # type: ignore[union-attr]
    assert child.id is not None
    call = asyncio.run_coroutine_threadsafe(
        rpc.call(child.id, "setValue", '{"v":3}', timeout_s=10), live.loop
    )
    request = client.next_message("v1/gateway/rpc")
    assert request["device"] == name
    assert request["data"]["method"] == "setValue"
    assert request["data"]["params"] == {"v": 3}
    reply = {"device": name, "id": request["data"]["id"], "data": data}
    client.publish("v1/gateway/rpc", reply, qos=0)
    result = call.result(15)
    assert result.outcome is RpcOutcome.RESPONSE
    assert orjson.loads(result.response) == expected


def test_claim_of_a_child(live: LiveNode, gateway: GatewayFactory) -> None:
    """§5.2: ``{"Dev": {"secretKey", "durationMs"}}`` records the child's claim."""
    _, client = gateway()
    name = _name()
    body = {name: {"secretKey": "s3cret", "durationMs": 60000}}
    assert client.publish("v1/gateway/claim", body) == 0
    child = _find(live, name)
    stored = live.wait_for(lambda: live.attributes(child, AttributeScope.SERVER_SCOPE))
    assert "claimingData" in stored


def test_disconnect_ends_the_child_session(live: LiveNode, gateway: GatewayFactory) -> None:
    """§5.2: after ``v1/gateway/disconnect`` the child gets no RPCs; state says offline."""
    _, client = gateway()
    name = _name()
    _connect_child(client, name)
    child = _find(live, name)
    child_id = child.id
    assert child_id is not None
    state = live.node.devices.state  # type: ignore[union-attr]
    assert live.call(lambda: tracked_state(state, child_id).active)
    assert client.publish("v1/gateway/disconnect", {"device": name}) == 0
    assert live.call(lambda: tracked_state(state, child_id).last_disconnect) > 0
    sessions = live.node.devices.sessions  # type: ignore[union-attr]
    assert live.call(lambda: not sessions.is_connected(child_id))
    result = _rpc(live, child, "ping", {}, timeout_s=2)
    assert result.outcome is RpcOutcome.NO_ACTIVE_CONNECTION


def test_unknown_gateway_topic_is_0x90(live: LiveNode, gateway: GatewayFactory) -> None:
    """§5.2: any other ``v1/gateway/...`` topic → PUBACK 0x90, session kept."""
    _, client = gateway()
    assert client.publish("v1/gateway/nope", {"a": 1}) == ReasonCode.TOPIC_NAME_INVALID
    assert client.publish("v1/gateway/connect", {"device": _name()}) == 0


@pytest.mark.parametrize(
    "payload",
    [b"not json", orjson.dumps({"d": [{"bad": "x", "ts": "never"}, 5]})],
    ids=["not-json", "bad-part"],
)
def test_bad_payload_v5_keeps_session(
    live: LiveNode, gateway: GatewayFactory, payload: bytes
) -> None:
    """§5.2: unreadable body or child part → PUBACK 0x99 on v5, the session stays."""
    _, client = gateway()
    assert client.publish("v1/gateway/telemetry", payload) == ReasonCode.PAYLOAD_FORMAT_INVALID
    assert client.publish("v1/gateway/connect", {"device": _name()}) == 0


def test_bad_payload_v3_closes(live: LiveNode, gateway: GatewayFactory) -> None:
    """§5.2: v3 has no code for a bad payload: the connection is closed."""
    _, client = gateway(v5=False)
    client.publish_unacked("v1/gateway/telemetry", b"not json")
    client.wait_closed()


@pytest.mark.parametrize(
    ("topic", "body"),
    [
        ("v1/gateway/telemetry", [1, 2]),
        ("v1/gateway/telemetry", {"": [{"a": 1}]}),
        ("v1/gateway/telemetry", {"d": {"not": "a list"}}),
        ("v1/gateway/connect", {"type": "x"}),
    ],
    ids=["array", "empty-name", "nothing-usable", "no-device"],
)
def test_unusable_request_is_0x83_and_close(
    live: LiveNode, gateway: GatewayFactory, topic: str, body: Any
) -> None:
    """§5.2: not an object, no usable entries, empty name → PUBACK 0x83, then close."""
    _, client = gateway()
    assert client.publish(topic, body) == ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR
    client.wait_closed()


def test_non_gateway_device_is_refused(live: LiveNode) -> None:
    """Checklist 41: a plain device's ``v1/gateway/*`` publish gets PUBACK 0x87, no child."""
    token = f"plain-{uuid.uuid4().hex[:10]}"
    live.create_device(f"Plain {token}", token=token)
    client = GatewayClient(live.mqtt_port, token)
    client.start(limits=False)
    name = _name()
    assert client.publish("v1/gateway/connect", {"device": name}) == ReasonCode.NOT_AUTHORIZED
    assert client.publish("v1/devices/me/telemetry", {"a": 1}) == 0
    with pytest.raises(NotFound):
        _find(live, name)
