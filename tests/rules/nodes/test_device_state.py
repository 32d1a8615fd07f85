"""Device state node: connectivity events reach the tracker, rate limited per device."""

from __future__ import annotations

import pytest

from industryos.devices.state import DeviceStateTracker
from industryos.rules.errors import NodeConfigError
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.nodes.device_state import DeviceStateNode
from tests.rules.nodes.conftest import NodeEnv


async def test_connect_activity_disconnect_reach_the_tracker(node_env: NodeEnv) -> None:
    tracker = DeviceStateTracker(node_env.base.core.telemetry)
    node_env.services = ServiceSet(device_state=tracker)
    device = await node_env.device("gw-child")
    connect = node_env.build(DeviceStateNode, event="CONNECT_EVENT")
    (emit,) = await connect.on_msg(node_env.msg({}, device))
    assert emit.label == "Success"
    state = tracker.state(device.id)
    assert state is not None and state.sessions == 1 and state.active
    assert state.last_connect > 0
    await connect.on_msg(node_env.msg({}, device))  # within a second: not reported again
    assert state.sessions == 1
    disconnect = node_env.build(DeviceStateNode, event="DISCONNECT_EVENT")
    await disconnect.on_msg(node_env.msg({}, device))
    assert state.sessions == 0 and state.last_disconnect > 0
    activity = node_env.build(DeviceStateNode)
    asset = await node_env.asset("not a device")
    (passed,) = await activity.on_msg(node_env.msg({}, asset))
    assert passed.label == "Success" and tracker.state(asset.id) is None
    with pytest.raises(NodeConfigError, match="event must be one of"):
        node_env.build(DeviceStateNode, event="INACTIVITY_EVENT")
