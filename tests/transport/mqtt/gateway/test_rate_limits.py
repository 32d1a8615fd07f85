"""A gateway's children are held to the tenant profile's rate limits like direct devices."""

from __future__ import annotations

import uuid

from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.device.test_rate_limits import _limit_tenant
from tests.transport.mqtt.gateway.conftest import GatewayFactory


def test_child_over_limit_gets_quota_exceeded(live: LiveNode, gateway: GatewayFactory) -> None:
    _limit_tenant(live)  # 3 messages per device per hour
    _, client = gateway()
    child = f"meter-{uuid.uuid4().hex[:8]}"
    codes = [client.publish("v1/gateway/telemetry", {child: [{"v": n}]}) for n in range(4)]
    assert codes == [0, 0, 0, 0x97]
    assert client.publish("v1/gateway/telemetry", {f"other-{child}": [{"v": 1}]}) == 0
