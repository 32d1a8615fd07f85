"""JSON path node: the JSONPath subset, definite vs indefinite paths, refused syntax."""

from __future__ import annotations

import orjson
import pytest

from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.jsonpath import JsonPath, JsonPathNode
from tests.rules.nodes.pure import build, msg

DOC = {
    "device": {"readings": [{"t": 20.5}, {"t": 21.0}, {"t": 22.5}], "name": "pump"},
    "site": {"name": "north"},
}


@pytest.mark.parametrize(
    ("path", "definite", "found"),
    [
        ("$.device.name", True, ["pump"]),
        ("$['site']['name']", True, ["north"]),
        ("$.device.readings[1].t", True, [21.0]),
        ("$.device.readings[-1].t", True, [22.5]),
        ("$.device.readings[*].t", False, [20.5, 21.0, 22.5]),
        ("$.device.readings[0:2].t", False, [20.5, 21.0]),
        ("$.device.readings[0,2].t", False, [20.5, 22.5]),
        ("$..name", False, ["pump", "north"]),
        ("$.*.name", False, ["pump", "north"]),
        ("$.nothing", True, []),
    ],
)
def test_path_evaluation(path: str, definite: bool, found: list[object]) -> None:
    compiled = JsonPath(path)
    assert compiled.definite is definite
    assert compiled.find(DOC) == found


async def test_node_replaces_the_body() -> None:
    node = build(JsonPathNode, jsonPath="$.device.readings[*].t")
    (emit,) = await node.on_msg(msg(DOC))
    assert emit.label == Label.SUCCESS
    assert orjson.loads(emit.msg.data) == [20.5, 21.0, 22.5]
    single = build(JsonPathNode, jsonPath="$.device.name")
    (emit,) = await single.on_msg(msg(DOC))
    assert orjson.loads(emit.msg.data) == "pump"
    same = build(JsonPathNode, jsonPath="$")
    original = msg(DOC)
    assert (await same.on_msg(original))[0].msg is original


async def test_missing_definite_path_fails_and_filters_are_refused() -> None:
    node = build(JsonPathNode, jsonPath="$.device.serial")
    with pytest.raises(NodeFailure, match="No results for path"):
        await node.on_msg(msg(DOC))
    empty = build(JsonPathNode, jsonPath="$.device.readings[*].missing")
    assert orjson.loads((await empty.on_msg(msg(DOC)))[0].msg.data) == []
    for bad in ("$.device.readings[?(@.t > 21)]", "device.name", "$.a..", "$[1:2:3]"):
        with pytest.raises(NodeConfigError):
            build(JsonPathNode, jsonPath=bad)
