"""GPS geofencing filter: polygons and circles, from configuration or metadata."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.geo import GpsGeofencingActionNode, GpsGeofencingFilterNode, distance_m
from tests.rules.nodes.conftest import NodeEnv
from tests.rules.nodes.pure import build, msg

SQUARE = [[50.0, 30.0], [50.0, 31.0], [51.0, 31.0], [51.0, 30.0]]


async def _label(node: object, lat: float, lng: float, **metadata: str) -> str:
    assert isinstance(node, GpsGeofencingFilterNode)
    (emit,) = await node.on_msg(
        msg({"latitude": lat, "longitude": lng}, originator=None, **metadata)
    )
    return emit.label


async def test_polygon_from_configuration_and_multi_polygon_from_metadata() -> None:
    node = build(
        GpsGeofencingFilterNode,
        perimeterType="POLYGON",
        fetchPerimeterInfoFromMessageMetadata=False,
        polygonsDefinition=orjson.dumps(SQUARE).decode(),
    )
    assert await _label(node, 50.5, 30.5) == "True"
    assert await _label(node, 52.0, 30.5) == "False"
    from_metadata = build(GpsGeofencingFilterNode, perimeterType="POLYGON")
    two = orjson.dumps([SQUARE, [[10, 10], [10, 11], [11, 11], [11, 10]]]).decode()
    assert await _label(from_metadata, 10.5, 10.5, ss_perimeter=two) == "True"
    assert await _label(from_metadata, 30.0, 30.0, ss_perimeter=two) == "False"
    with pytest.raises(NodeFailure, match="Missing perimeter"):
        await _label(from_metadata, 1, 1)
    with pytest.raises(NodeFailure, match="latitude"):
        await from_metadata.on_msg(msg({"lat": 1}, ss_perimeter=two))


async def test_circle_in_units() -> None:
    assert distance_m(0, 0, 0, 1) == pytest.approx(111_195, rel=1e-3)
    node = build(
        GpsGeofencingFilterNode,
        perimeterType="CIRCLE",
        fetchPerimeterInfoFromMessageMetadata=False,
        centerLatitude=48.8584,
        centerLongitude=2.2945,
        range=1,
        rangeUnit="KILOMETER",
    )
    assert await _label(node, 48.8600, 2.2950) == "True"  # ~180 m away
    assert await _label(node, 48.8738, 2.2950) == "False"  # ~1.7 km away
    dynamic = build(GpsGeofencingFilterNode, perimeterType="CIRCLE", perimeterKeyName="zone")
    circle = '{"latitude": 48.8584, "longitude": 2.2945, "radius": 2, "radiusUnit": "MILE"}'
    assert await _label(dynamic, 48.8738, 2.2950, zone=circle) == "True"
    with pytest.raises(NodeConfigError):
        build(GpsGeofencingFilterNode, fetchPerimeterInfoFromMessageMetadata=False)


async def test_geofencing_events_and_presence_survive_a_new_node(node_env: NodeEnv) -> None:
    tracker = await node_env.device("truck")
    config: dict[str, Any] = {
        "perimeterType": "POLYGON",
        "fetchPerimeterInfoFromMessageMetadata": False,
        "polygonsDefinition": orjson.dumps(SQUARE).decode(),
        "minInsideDuration": 10,
        "minInsideDurationTimeUnit": "SECONDS",
        "minOutsideDuration": 1,
        "minOutsideDurationTimeUnit": "MINUTES",
    }
    node = node_env.build(GpsGeofencingActionNode, 1, **config)

    async def at(ts: int, lat: float) -> str:
        (emit,) = await node.on_msg(
            node_env.msg({"latitude": lat, "longitude": 30.5}, tracker, ts=str(ts))
        )
        return emit.label

    assert await at(1_000, 50.5) == "Entered"
    assert await at(5_000, 50.6) == "Success"  # inside for 4 s only
    assert await at(12_000, 50.7) == "Inside"
    assert await at(13_000, 50.7) == "Success"  # reported once
    assert await at(20_000, 52.0) == "Left"
    # a rebuilt node (same id) resumes from the stored presence
    again = node_env.build(GpsGeofencingActionNode, 1, node_id=node.ctx.node_id, **config)
    (emit,) = await again.on_msg(
        node_env.msg({"latitude": 52.0, "longitude": 30.5}, tracker, ts=str(90_000))
    )
    assert emit.label == "Outside"
