"""Tenant-profile rate limits at the device transports (issue: limits and bad input).

MQTT 5 answers a message over the limit with PUBACK 0x97 and keeps the session; MQTT 3.1.1
cannot say why, so the connection is closed; getSessionLimits reports the profile's limits;
the HTTP device API answers 429. Nothing over the limit is queued.
"""

from __future__ import annotations

import time

import httpx
import orjson

from industryos.transport.mqtt.packets import Puback, Publish
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.rawclient import RawClient

LIMIT = "3:3600"


def _limit_tenant(live: LiveNode) -> None:
    """Put the module's tenant under a profile allowing 3 messages per device per hour."""

    async def apply() -> None:
        core = live.core
        assert live.admin is not None
        async with core.db.transaction() as conn:
            tenant = await core.repos.tenants.get(conn, live.admin.tenant_id)
            profile = await core.repos.tenant_profiles.get(conn, tenant.tenant_profile_id)
            data = {**profile.profile_data}
            data["configuration"] = {
                **data.get("configuration", {}),
                "transportDeviceMsgRateLimit": LIMIT,
            }
            await core.repos.tenant_profiles.update(
                conn, profile.model_copy(update={"profile_data": data, "version": None})
            )

    live.run(apply())


def _publish(client: RawClient, packet_id: int, topic: str = "v1/devices/me/telemetry") -> int:
    client.send(Publish(topic, b'{"t": 1}', qos=1, packet_id=packet_id))
    ack = client.next_packet()
    assert isinstance(ack, Puback), ack
    return ack.reason_code


def test_mqtt5_over_limit_gets_quota_exceeded_and_session_stays(live: LiveNode) -> None:
    _limit_tenant(live)
    live.create_device("limited-v5", token="LIMITED_V5")
    client = RawClient(live.mqtt_port)
    assert client.connect("LIMITED_V5").reason_code == 0
    assert [_publish(client, i) for i in (1, 2, 3)] == [0, 0, 0]
    assert _publish(client, 4) == 0x97
    assert not client.closed
    client.send(
        Publish(
            "v1/devices/me/rpc/request/1",
            orjson.dumps({"method": "getSessionLimits", "params": {}}),
            qos=1,
            packet_id=5,
        )
    )
    packets = [client.next_packet(), client.next_packet()]
    answer = next(p for p in packets if isinstance(p, Publish))
    assert orjson.loads(answer.payload)["rateLimits"]["messages"] == LIMIT


def test_mqtt311_over_limit_is_closed(live: LiveNode) -> None:
    _limit_tenant(live)
    live.create_device("limited-v3", token="LIMITED_V3")
    client = RawClient(live.mqtt_port, v5=False)
    assert client.connect("LIMITED_V3").reason_code == 0
    assert [_publish(client, i) for i in (1, 2, 3)] == [0, 0, 0]
    client.send(Publish("v1/devices/me/telemetry", b'{"t": 2}', qos=1, packet_id=4))
    assert not any(isinstance(p, Puback) for p in client.wait_closed())


def test_http_over_limit_is_429(live: LiveNode) -> None:
    _limit_tenant(live)
    device = live.create_device("limited-http", token="LIMITED_HTTP")
    url = f"http://127.0.0.1:{live.node.http_port}/api/v1/LIMITED_HTTP/telemetry"
    codes = [httpx.post(url, json={"n": n}).status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]
    live.wait_for(lambda: "n" in live.latest(device) and live.latest(device)["n"].value == 2)
    time.sleep(0.5)  # the device's messages are stored in order: a queued 4th would follow
    assert live.latest(device)["n"].value == 2
