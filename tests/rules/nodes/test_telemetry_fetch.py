"""Originator telemetry, calculate delta and the profile switches over real storage."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from industryos.entities.ids import now_ms
from industryos.msg import MsgType
from industryos.rules.errors import NodeFailure
from industryos.rules.nodes.telemetry_fetch import CalculateDeltaNode, GetTelemetryNode
from industryos.rules.nodes.type_switch import AssetTypeSwitchNode, DeviceTypeSwitchNode
from industryos.telemetry.kv import DataType, TsKvEntry
from tests.rules.nodes.conftest import NodeEnv


async def test_originator_telemetry_first_last_all(node_env: NodeEnv) -> None:
    device = await node_env.device("meter")
    now = now_ms()
    points = [TsKvEntry(now - 30_000 + i * 1000, "t", 20 + i, DataType.LONG) for i in range(3)]
    await node_env.base.core.telemetry.save_timeseries(node_env.tenant_id, device.id, points)
    config: dict[str, Any] = {
        "latestTsKeyNames": ["t"],
        "startInterval": 1,
        "startIntervalTimeUnit": "MINUTES",
        "endInterval": 0,
        "endIntervalTimeUnit": "MINUTES",
    }
    first = node_env.build(GetTelemetryNode, fetchMode="FIRST", **config)
    assert (await first.on_msg(node_env.msg({}, device)))[0].msg.metadata["t"] == "20"
    last = node_env.build(GetTelemetryNode, fetchMode="LAST", **config)
    assert (await last.on_msg(node_env.msg({}, device)))[0].msg.metadata["t"] == "22"
    every = node_env.build(GetTelemetryNode, fetchMode="ALL", orderBy="DESC", **config)
    history = orjson.loads((await every.on_msg(node_env.msg({}, device)))[0].msg.metadata["t"])
    assert [p["value"] for p in history] == [22, 21, 20]
    patterns = node_env.build(
        GetTelemetryNode,
        fetchMode="ALL",
        latestTsKeyNames=["t"],
        useMetadataIntervalPatterns=True,
        startIntervalPattern="${from}",
        endIntervalPattern="${to}",
    )
    window = node_env.msg(
        {}, device, customer_id=None, **{"from": str(now - 29_500), "to": str(now)}
    )
    found = orjson.loads((await patterns.on_msg(window))[0].msg.metadata["t"])
    assert [p["value"] for p in found] == [21, 22]
    nothing = await patterns.on_msg(
        node_env.msg({}, device, customer_id=None, **{"from": "0", "to": "1"})
    )
    assert "t" not in nothing[0].msg.metadata


async def test_calculate_delta(node_env: NodeEnv) -> None:
    device = await node_env.device("counter")
    node = node_env.build(
        CalculateDeltaNode,
        inputValueKey="pulses",
        outputValueKey="delta",
        addPeriodBetweenMsgs=True,
        periodValueKey="period",
        round=1,
    )

    async def run(value: object, ts: int) -> dict[str, object]:
        (emit,) = await node.on_msg(node_env.msg({"pulses": value}, device, ts=str(ts)))
        assert emit.label == "Success"
        body: dict[str, object] = orjson.loads(emit.msg.data)
        return body

    assert await run(100, 1000) == {"pulses": 100, "delta": 0, "period": 0}
    assert await run(112.25, 4000) == {"pulses": 112.25, "delta": 12.3, "period": 3000}
    with pytest.raises(NodeFailure, match="negative"):
        await node.on_msg(node_env.msg({"pulses": 5}, device, ts="5000"))
    other = await node.on_msg(node_env.msg({"x": 1}, device))
    assert other[0].label == "Other"
    attrs = node_env.msg({"pulses": 1}, device, MsgType.POST_ATTRIBUTES_REQUEST)
    assert (await node.on_msg(attrs))[0].label == "Other"
    # without cache the previous value is the stored latest one
    await node_env.base.core.telemetry.save_timeseries(
        node_env.tenant_id, device.id, [TsKvEntry(1000, "pulses", 40, DataType.LONG)]
    )
    stored = node_env.build(CalculateDeltaNode, inputValueKey="pulses", useCache=False)
    (emit,) = await stored.on_msg(node_env.msg({"pulses": 50}, device, ts="2000"))
    assert orjson.loads(emit.msg.data)["delta"] == 10
    skip_zero = node_env.build(
        CalculateDeltaNode, inputValueKey="pulses", useCache=False, excludeZeroDeltas=True
    )
    (emit,) = await skip_zero.on_msg(node_env.msg({"pulses": 40}, device))
    assert orjson.loads(emit.msg.data) == {"pulses": 40}


async def test_profile_switches(node_env: NodeEnv) -> None:
    device = await node_env.device("chiller-1", profile="chiller")
    asset = await node_env.asset("Plant", "factory")
    switch = node_env.build(DeviceTypeSwitchNode)
    assert (await switch.on_msg(node_env.msg({}, device)))[0].label == "chiller"
    with pytest.raises(NodeFailure, match="Unsupported originator type"):
        await switch.on_msg(node_env.msg({}, asset))
    assets = node_env.build(AssetTypeSwitchNode)
    assert (await assets.on_msg(node_env.msg({}, asset)))[0].label == "factory"
