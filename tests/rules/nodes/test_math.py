"""Math function node: operations, custom formulas, arguments from storage, results stored."""

from __future__ import annotations

import orjson
import pytest

from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.math import MathNode
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry, TsKvEntry
from tests.rules.nodes.conftest import NodeEnv
from tests.rules.nodes.pure import build, msg


def _body(name: str) -> dict[str, str]:
    return {"type": "MESSAGE_BODY", "key": name}


async def test_operations_and_custom_formula_into_body_and_metadata() -> None:
    add = build(
        MathNode,
        operation="ADD",
        arguments=[_body("a"), {"type": "CONSTANT", "key": "2.5"}],
        result={"type": "MESSAGE_BODY", "key": "sum", "resultValuePrecision": 1},
    )
    (emit,) = await add.on_msg(msg({"a": 1.25}))
    assert orjson.loads(emit.msg.data) == {"a": 1.25, "sum": 3.8}
    celsius = build(
        MathNode,
        operation="CUSTOM",
        customFunction="(f - 32) / 1.8 + 0 * sqrt(abs(f)) ^ 2",
        arguments=[{"type": "MESSAGE_BODY", "key": "temperatureF", "name": "f"}],
        result={"type": "MESSAGE_METADATA", "key": "temperatureC", "resultValuePrecision": 2},
    )
    (emit,) = await celsius.on_msg(msg({"temperatureF": 100}))
    assert emit.msg.metadata["temperatureC"] == "37.78"
    rounded = build(
        MathNode,
        operation="SQRT",
        arguments=[{"type": "MESSAGE_METADATA", "key": "x"}],
        result={"type": "MESSAGE_BODY", "key": "r", "resultValuePrecision": 0},
    )
    assert orjson.loads((await rounded.on_msg(msg({}, x="17")))[0].msg.data) == {"r": 4}


async def test_failures_and_refused_configurations() -> None:
    div = build(
        MathNode,
        operation="DIV",
        arguments=[_body("a"), _body("b")],
        result={"type": "MESSAGE_BODY", "key": "q"},
    )
    with pytest.raises(NodeFailure, match="Math function failed"):
        await div.on_msg(msg({"a": 1, "b": 0}))
    with pytest.raises(NodeFailure, match="not present"):
        await div.on_msg(msg({"a": 1}))
    with pytest.raises(NodeFailure, match="not a number"):
        await div.on_msg(msg({"a": 1, "b": "x"}))
    defaulted = build(
        MathNode,
        operation="MULT",
        arguments=[_body("a"), {**_body("b"), "defaultValue": 3}],
        result={"type": "MESSAGE_BODY", "key": "p"},
    )
    assert orjson.loads((await defaulted.on_msg(msg({"a": 2})))[0].msg.data)["p"] == 6
    for bad in ("__import__('os')", "a.b", "open(a)", "a +"):
        with pytest.raises(NodeConfigError):
            build(
                MathNode,
                operation="CUSTOM",
                customFunction=bad,
                arguments=[_body("a")],
                result={"type": "MESSAGE_BODY", "key": "x"},
            )
    with pytest.raises(NodeConfigError):
        build(MathNode, operation="ADD", arguments=[_body("a")], result={"key": "x"})
    with pytest.raises(NodeConfigError):
        build(MathNode, operation="NOPE", arguments=[], result={"key": "x"})


async def test_arguments_from_storage_and_results_saved(node_env: NodeEnv) -> None:
    device = await node_env.device("meter")
    telemetry = node_env.base.core.telemetry
    await telemetry.save_attributes(
        node_env.tenant_id,
        device.id,
        AttributeScope.SERVER_SCOPE,
        [KvEntry("factor", 2.0, DataType.DOUBLE)],
    )
    await telemetry.save_timeseries(
        node_env.tenant_id, device.id, [TsKvEntry(1000, "base", 10, DataType.LONG)]
    )
    node = node_env.build(
        MathNode,
        operation="CUSTOM",
        customFunction="a * b + c",
        arguments=[
            {"type": "ATTRIBUTE", "key": "factor", "attributeScope": "SERVER_SCOPE"},
            {"type": "TIME_SERIES", "key": "base"},
            _body("extra"),
        ],
        result={
            "type": "TIME_SERIES",
            "key": "scaled",
            "resultValuePrecision": 0,
            "addToMetadata": True,
        },
    )
    incoming = node_env.msg({"extra": 1}, device, ts="5000")
    (emit,) = await node.on_msg(incoming)
    assert emit.msg.metadata["scaled"] == "21"
    latest = {
        e.key: (e.ts, e.native_value())
        for e in await telemetry.get_latest(node_env.tenant_id, device.id, ["scaled"])
    }
    assert latest == {"scaled": (5000, 21)}
    to_attribute = node_env.build(
        MathNode,
        operation="ABS",
        arguments=[_body("extra")],
        result={"type": "ATTRIBUTE", "key": "absolute", "attributeScope": "SERVER_SCOPE"},
    )
    await to_attribute.on_msg(node_env.msg({"extra": -4}, device))
    found = await telemetry.get_attributes(
        node_env.tenant_id, device.id, AttributeScope.SERVER_SCOPE, ["absolute"]
    )
    assert [e.native_value() for e in found[AttributeScope.SERVER_SCOPE]] == [4]
