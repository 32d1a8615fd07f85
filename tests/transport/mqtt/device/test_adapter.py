"""The device adapter over a real node, byte-exact with a raw client (spec §2.4, §2.14)."""

from __future__ import annotations

import uuid
from typing import cast

import orjson
import pytest

from industryos.entities.models import Device, DeviceProfile
from industryos.msg import MsgType
from industryos.queue import Queue
from industryos.telemetry.kv import AttributeScope, DataType, kv_entry
from industryos.transport.mqtt.packets import (
    Disconnect,
    Puback,
    Publish,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
)
from industryos.transport.mqtt.reason_codes import ReasonCode
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.rawclient import RawClient


def _device(live: LiveNode, *, profile: DeviceProfile | None = None) -> tuple[Device, str]:
    token = f"tok-{uuid.uuid4().hex[:12]}"
    device = live.create_device(f"dev-{token}", token=token, profile=profile)
    return device, token


def _client(live: LiveNode, token: str, *, v5: bool = True) -> RawClient:
    client = RawClient(live.mqtt_port, v5=v5)
    assert client.connect(username=token, client_id="").reason_code == 0
    return client


def _publish(client: RawClient, topic: str, payload: bytes, packet_id: int = 1) -> Puback:
    client.send(Publish(topic, payload, qos=1, packet_id=packet_id))
    ack = client.next_packet()
    assert isinstance(ack, Puback), ack
    assert ack.packet_id == packet_id
    return ack


def _next_publish(client: RawClient, timeout: float = 5.0) -> Publish:
    packet = client.next_packet(timeout)
    assert isinstance(packet, Publish), packet
    if packet.qos:
        client.send(Puback(packet.packet_id))
    return packet


def test_telemetry_is_stored_with_server_ts_and_types(live: LiveNode) -> None:
    """Checklist 8, 10: PUBACK 0x00, LONG value, type cast, JSON value, null skipped."""
    device, token = _device(live)
    client = _client(live, token)
    ack = _publish(client, "v1/devices/me/telemetry", b'{"a":1,"s":"42","o":{"x":1},"n":null}')
    assert ack.reason_code == 0
    latest = live.wait_for(lambda: (lt := live.latest(device)) and len(lt) == 3 and lt)
    assert latest["a"].value == 1 and latest["a"].data_type is DataType.LONG
    assert latest["s"].value == 42 and latest["s"].data_type is DataType.LONG
    json_text = cast(str, latest["o"].value)  # a JSON point's value is its text
    assert latest["o"].data_type is DataType.JSON and orjson.loads(json_text) == {"x": 1}
    assert "n" not in latest


def test_telemetry_with_ts_values_and_float_ts(live: LiveNode) -> None:
    """Checklist 9 and 11: each ts stored, a float ts truncated; {} and [] accepted."""
    device, token = _device(live)
    client = _client(live, token)
    payload = b'[{"ts":1700000000000,"values":{"a":1.5}},{"ts":1700000000001.7,"values":{"b":2}}]'
    assert _publish(client, "v1/devices/me/telemetry", payload).reason_code == 0
    assert _publish(client, "v1/devices/me/telemetry", b"{}", 2).reason_code == 0
    assert _publish(client, "v1/devices/me/telemetry", b"[]", 3).reason_code == 0
    latest = live.wait_for(lambda: (lt := live.latest(device)) and len(lt) == 2 and lt)
    assert (latest["a"].ts, latest["a"].value) == (1700000000000, 1.5)
    assert (latest["b"].ts, latest["b"].value) == (1700000000001, 2)


@pytest.mark.parametrize("v5", [True, False])
def test_invalid_json(live: LiveNode, v5: bool) -> None:
    """Checklist 12: v5 → PUBACK 0x99 and the session stays; v3 → connection closed."""
    _, token = _device(live)
    client = _client(live, token, v5=v5)
    client.send(Publish("v1/devices/me/telemetry", b"{not json", qos=1, packet_id=7))
    if v5:
        ack = client.next_packet()
        assert isinstance(ack, Puback) and ack.reason_code == ReasonCode.PAYLOAD_FORMAT_INVALID
        assert _publish(client, "v1/devices/me/telemetry", b'{"ok":1}', 8).reason_code == 0
    else:
        assert client.wait_closed() == []


@pytest.mark.parametrize("v5", [True, False])
def test_unknown_topic(live: LiveNode, v5: bool) -> None:
    """Checklist 13: v5 → PUBACK 0x90, v3 → plain PUBACK; the session stays."""
    _, token = _device(live)
    client = _client(live, token, v5=v5)
    ack = _publish(client, "v1/devices/me/nothing", b"{}")
    assert ack.reason_code == (ReasonCode.TOPIC_NAME_INVALID if v5 else 0)
    assert _publish(client, "v1/devices/me/telemetry", b'{"a":1}', 2).reason_code == 0


def test_attributes_upload_and_array_refused(live: LiveNode) -> None:
    """Checklist 14: flat object → CLIENT_SCOPE; an array → 0x99."""
    device, token = _device(live)
    client = _client(live, token)
    assert _publish(client, "v1/devices/me/attributes", b'{"fw":"v1.0","n":3}').reason_code == 0
    ack = _publish(client, "v1/devices/me/attributes", b'[{"x":1}]', 2)
    assert ack.reason_code == ReasonCode.PAYLOAD_FORMAT_INVALID
    stored = live.wait_for(lambda: live.attributes(device, AttributeScope.CLIENT_SCOPE))
    assert stored == {"fw": "v1.0", "n": 3}


def test_attribute_request_v1_and_v2(live: LiveNode) -> None:
    """Checklist 15, 16, 30: response on …/response/{id} and v2/a/res/{id}; no server scope."""
    device, token = _device(live)
    tenant, dev_id = device.tenant_id, device.id
    telemetry = live.core.telemetry
    live.run(
        telemetry.save_attributes(
            tenant, dev_id, AttributeScope.CLIENT_SCOPE, [kv_entry("a", 1), kv_entry("c", "x")]
        )
    )
    live.run(
        telemetry.save_attributes(
            tenant, dev_id, AttributeScope.SHARED_SCOPE, [kv_entry("b", {"j": True})]
        )
    )
    live.run(
        telemetry.save_attributes(
            tenant, dev_id, AttributeScope.SERVER_SCOPE, [kv_entry("secret", 7)]
        )
    )
    client = _client(live, token)
    request = b'{"clientKeys":"a,zz","sharedKeys":"b"}'
    assert _publish(client, "v1/devices/me/attributes/request/5", request).reason_code == 0
    reply = _next_publish(client)
    assert reply.topic == "v1/devices/me/attributes/response/5"
    assert orjson.loads(reply.payload) == {"client": {"a": 1}, "shared": {"b": {"j": True}}}
    assert _publish(client, "v2/a/req/7", b"{}", 2).reason_code == 0
    reply = _next_publish(client)
    assert reply.topic == "v2/a/res/7"
    assert orjson.loads(reply.payload) == {
        "client": {"a": 1, "c": "x"},
        "shared": {"b": {"j": True}},
    }
    assert _publish(client, "v2/a/req/j/8", b'{"sharedKeys":"nope"}', 3).reason_code == 0
    reply = _next_publish(client)
    assert (reply.topic, orjson.loads(reply.payload)) == ("v2/a/res/j/8", {})
    ack = _publish(client, "v1/devices/me/attributes/request/x", b"{}", 4)
    assert ack.reason_code == ReasonCode.PAYLOAD_FORMAT_INVALID


def test_subscribe_filters(live: LiveNode) -> None:
    """Checklist 7: allowed filters get min(QoS, 1); others 0x8F (v5) / 0x80 (v3)."""
    _, token = _device(live)
    for v5 in (True, False):
        client = _client(live, token, v5=v5)
        filters = [
            "v1/devices/me/attributes",
            "v1/devices/me/attributes/response/+",
            "v1/devices/me/rpc/request/+",
            "v1/devices/me/rpc/response/+",
            "v2/fw/response/+",
            "v2/r/req/+",
            "foo/bar",
        ]
        client.send(Subscribe(1, [Subscription(f, qos=2) for f in filters]))
        suback = client.next_packet()
        assert isinstance(suback, Suback)
        assert suback.reason_codes == [1, 1, 1, 1, 1, 1, 0x8F if v5 else 0x80]
        client.send(Unsubscribe(2, ["v2/r/req/+", "never/subscribed"]))
        unsuback = client.next_packet()
        assert isinstance(unsuback, Unsuback)
        assert unsuback.reason_codes == ([0, 0x11] if v5 else [])
        client.send(Disconnect())
        client.wait_closed()


def test_session_limits_and_client_rpc(live: LiveNode) -> None:
    """Checklist 20, 21: limits answered by the transport; client RPC through the hook."""
    device, token = _device(live)
    client = _client(live, token)
    call = b'{"method":"getSessionLimits","params":{"timeout":5000}}'
    assert _publish(client, "v1/devices/me/rpc/request/1", call).reason_code == 0
    reply = _next_publish(client)
    assert reply.topic == "v1/devices/me/rpc/response/1"
    limits = orjson.loads(reply.payload)
    assert limits["maxPayloadSize"] == 65536
    assert limits["maxInflightMessages"] > 0
    assert set(limits["rateLimits"]) == {"messages", "telemetryMessages", "telemetryDataPoints"}
    assert "gatewayRateLimits" not in limits

    queue: Queue | None = live.node._queue
    assert queue is not None
    consumer = live.run(queue.subscribe("Main", f"t{uuid.uuid4().hex[:8]}"))
    assert _publish(client, "v2/r/req/3", b'{"method":"hello","params":[1]}', 2).reason_code == 0
    msg = None
    while msg is None:
        for batch in live.run(consumer.fetch(max_wait=5.0)):
            for record in batch.records:
                if (
                    record.msg.type == MsgType.TO_SERVER_RPC_REQUEST
                    and record.msg.originator.id == device.id
                ):
                    msg = record.msg
    live.run(consumer.close())
    assert orjson.loads(msg.data) == {"method": "hello", "params": [1]}
    assert msg.metadata["requestId"] == "3"
    assert msg.metadata["serviceId"]
    replies = live.node.devices.client_rpc  # type: ignore[union-attr]
    assert live.call(lambda: replies.reply(msg.metadata["sessionId"], 3, '{"hi":1}'))
    answer = _next_publish(client)
    assert (answer.topic, orjson.loads(answer.payload)) == ("v2/r/res/3", {"hi": 1})


def test_gateway_topic_from_a_plain_device_is_refused(live: LiveNode) -> None:
    """Checklist 41: 0x87 on v5, plain PUBACK on v3; the session stays, nothing stored."""
    device, token = _device(live)
    for v5 in (True, False):
        client = _client(live, token, v5=v5)
        ack = _publish(client, "v1/gateway/telemetry", b'{"D1":[{"a":1}]}')
        assert ack.reason_code == (ReasonCode.NOT_AUTHORIZED if v5 else 0)
        assert _publish(client, "v1/devices/me/telemetry", b'{"a":1}', 2).reason_code == 0
        client.send(Disconnect())
        client.wait_closed()
    latest = live.wait_for(lambda: live.latest(device))
    assert set(latest) == {"a"}


def test_claim_is_recorded(live: LiveNode) -> None:
    """Checklist 22 (device half): PUBACK 0 and claimingData stored as a server attribute."""
    device, token = _device(live)
    client = _client(live, token)
    body = b'{"secretKey":"s3cret","durationMs":60000}'
    assert _publish(client, "v1/devices/me/claim", body).reason_code == 0
    stored = live.attributes(device, AttributeScope.SERVER_SCOPE)["claimingData"]
    assert stored["secretKey"] == "s3cret"
    claims = live.node.devices.claims  # type: ignore[union-attr]
    assert device.tenant_id is not None and device.id is not None
    current = live.run(claims.current(device.tenant_id, device.id))
    assert current is not None and current["secretKey"] == "s3cret"


def test_custom_profile_topics(live: LiveNode) -> None:
    """Checklist 31: a custom telemetry filter accepts its topics, the v1 topic is unknown."""
    profile = live.create_profile(
        f"custom-{uuid.uuid4().hex[:6]}",
        {
            "type": "MQTT",
            "deviceTelemetryTopic": "sensors/+/data",
            "deviceAttributesTopic": "v1/devices/me/attributes",
            "deviceAttributesSubscribeTopic": "my/attrs",
            "transportPayloadTypeConfiguration": {"transportPayloadType": "JSON"},
        },
    )
    device, token = _device(live, profile=profile)
    client = _client(live, token)
    assert _publish(client, "sensors/x/data", b'{"t":5}').reason_code == 0
    ack = _publish(client, "v1/devices/me/telemetry", b'{"t":6}', 2)
    assert ack.reason_code == ReasonCode.TOPIC_NAME_INVALID
    assert _publish(client, "v2/t", b'{"u":1}', 3).reason_code == 0
    latest = live.wait_for(lambda: (lt := live.latest(device)) and len(lt) == 2 and lt)
    assert latest["t"].value == 5
    client.send(Subscribe(1, [Subscription("my/attrs", qos=1)]))
    suback = client.next_packet()
    assert isinstance(suback, Suback) and suback.reason_codes == [1]
    live.run(
        live.core.telemetry.save_attributes(
            device.tenant_id,
            device.id,
            AttributeScope.SHARED_SCOPE,
            [kv_entry("k", 1)],
        )
    )
    push = _next_publish(client)
    assert (push.topic, orjson.loads(push.payload)) == ("v1/devices/me/attributes", {"k": 1})


def test_saved_profile_topics_apply_to_the_next_connection(live: LiveNode) -> None:
    """A profile saved with another telemetry topic is used by the next session at once,
    not once the 30 s MQTT settings cache expires."""
    profile = live.create_profile(f"edited-{uuid.uuid4().hex[:6]}", {"type": "DEFAULT"})
    device, token = _device(live, profile=profile)
    first = _client(live, token)  # the node now caches the profile's (default) settings
    assert _publish(first, "v1/devices/me/telemetry", b'{"t":1}').reason_code == 0
    first.close()
    profile.profile_data["transportConfiguration"] = {
        "type": "MQTT",
        "deviceTelemetryTopic": "edited/+/data",
        "deviceAttributesTopic": "v1/devices/me/attributes",
        "deviceAttributesSubscribeTopic": "v1/devices/me/attributes",
        "transportPayloadTypeConfiguration": {"transportPayloadType": "JSON"},
    }
    profile.transport_type = "MQTT"
    live.run(live.core.device_profiles.save(live.admin, profile))
    second = _client(live, token)
    assert _publish(second, "edited/x/data", b'{"t":2}').reason_code == 0
    ack = _publish(second, "v1/devices/me/telemetry", b'{"t":3}', 2)
    assert ack.reason_code == ReasonCode.TOPIC_NAME_INVALID
    live.wait_for(lambda: (t := live.latest(device).get("t")) is not None and t.value == 2)


@pytest.mark.parametrize(("v5", "code"), [(True, 0x86), (False, 0x05)])
def test_wrong_token_is_refused(live: LiveNode, v5: bool, code: int) -> None:
    """Checklist 2: wrong token → v5 0x86, v3.1.1 0x05, connection closed."""
    client = RawClient(live.mqtt_port, v5=v5)
    assert client.connect(username="no-such-token", client_id="").reason_code == code
    client.wait_closed()


def test_token_device_ignores_password_and_client_id(live: LiveNode) -> None:
    """Checklist 4: an ACCESS_TOKEN device authenticates whatever clientId it sends."""
    _, token = _device(live)
    client = RawClient(live.mqtt_port)
    assert client.connect(username=token, client_id="anything").reason_code == 0


def test_second_session_takes_over(live: LiveNode) -> None:
    """Checklist 6: a second session with the same token evicts the first (0x8E)."""
    _, token = _device(live)
    first = _client(live, token)
    second = _client(live, token)
    packets = first.wait_closed()
    assert any(isinstance(p, Disconnect) and p.reason_code == 0x8E for p in packets)
    assert _publish(second, "v1/devices/me/telemetry", b'{"a":1}').reason_code == 0
