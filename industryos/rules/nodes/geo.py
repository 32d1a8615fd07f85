"""GPS geofencing filter (``geo.TbGpsGeofencingFilterNode``): is the originator inside?

Latitude and longitude come from the message body (``latitudeKeyName``,
``longitudeKeyName``). The perimeter is a polygon (``polygonsDefinition``: ``[[lat, lng],
…]`` or a list of such polygons) or a circle (``centerLatitude``, ``centerLongitude``,
``range`` in ``rangeUnit``), from the configuration or, with
``fetchPerimeterInfoFromMessageMetadata``, from the metadata key ``perimeterKeyName``
(a polygon definition, or ``{"latitude", "longitude", "radius", "radiusUnit"}``). Polygons
use ray casting on plain lat/lng (fine at geofence scale); circles the haversine distance.
The action node (``geo.TbGpsGeofencingActionNode``) keeps, per originator, whether it is
inside and since when (in memory, and as a SERVER_SCOPE attribute named by the node's id so
a restart resumes): crossing emits ``Entered``/``Left``; staying past
``minInsideDuration``/``minOutsideDuration`` emits ``Inside``/``Outside`` once; any other
message goes on ``Success``.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)
from industryos.rules.nodes.templates import body_of, json_text
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry

PREFIX = "org.thingsboard.rule.engine."
EARTH_RADIUS_M = 6_371_000.0
UNIT_M = {
    "METER": 1.0,
    "KILOMETER": 1000.0,
    "FOOT": 0.3048,
    "MILE": 1609.344,
    "NAUTICAL_MILE": 1852.0,
}
Polygon = list[tuple[float, float]]


def parse_polygons(definition: Any) -> list[Polygon]:
    """``[[lat, lng], …]`` or ``[[[lat, lng], …], …]`` (JSON text or parsed)."""
    raw = orjson.loads(definition) if isinstance(definition, str) else definition
    if not isinstance(raw, list) or not raw:
        raise ValueError("polygon definition must be a non-empty list")
    polygons = raw if isinstance(raw[0], list) and raw[0] and isinstance(raw[0][0], list) else [raw]
    result = []
    for polygon in polygons:
        points = [(float(p[0]), float(p[1])) for p in polygon]
        if len(points) < 3:
            raise ValueError("a polygon needs at least three points")
        result.append(points)
    return result


def in_polygon(lat: float, lng: float, polygon: Polygon) -> bool:
    """Ray casting; a point on an edge counts as inside."""
    inside = False
    count = len(polygon)
    for i in range(count):
        (y1, x1), (y2, x2) = polygon[i], polygon[(i + 1) % count]
        if (y1 > lat) != (y2 > lat):
            cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lng == cross:
                return True
            if lng < cross:
                inside = not inside
    return inside


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


class _GeofenceNode(RuleNode):
    """Reads the coordinates and the perimeter; subclasses decide what to emit."""

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._lat_key = config.text("latitudeKeyName", "latitude") or "latitude"
        self._lng_key = config.text("longitudeKeyName", "longitude") or "longitude"
        self._type = config.choice("perimeterType", ("POLYGON", "CIRCLE"), "POLYGON")
        self._from_metadata = config.flag("fetchPerimeterInfoFromMessageMetadata", True)
        self._perimeter_key = config.text("perimeterKeyName", "ss_perimeter") or "ss_perimeter"
        self._polygons: list[Polygon] = []
        self._circle: tuple[float, float, float] | None = None
        if self._from_metadata:
            return
        try:
            if self._type == "POLYGON":
                self._polygons = parse_polygons(config.raw.get("polygonsDefinition"))
            else:
                self._circle = (
                    float(config.raw["centerLatitude"]),
                    float(config.raw["centerLongitude"]),
                    float(config.raw["range"])
                    * UNIT_M[str(config.raw.get("rangeUnit") or "METER")],
                )
        except (KeyError, TypeError, ValueError, orjson.JSONDecodeError) as exc:
            raise NodeConfigError(f"{self.clazz}: perimeter is not valid: {exc}") from None

    def _perimeter(self, msg: Msg) -> tuple[list[Polygon], tuple[float, float, float] | None]:
        if not self._from_metadata:
            return self._polygons, self._circle
        raw = msg.metadata.get(self._perimeter_key)
        if not raw:
            raise NodeFailure(f"Missing perimeter definition in metadata '{self._perimeter_key}'")
        try:
            if self._type == "POLYGON":
                return parse_polygons(raw), None
            circle = orjson.loads(raw)
            unit = UNIT_M[str(circle.get("radiusUnit") or "METER")]
            return [], (
                float(circle["latitude"]),
                float(circle["longitude"]),
                float(circle["radius"]) * unit,
            )
        except (KeyError, TypeError, ValueError, AttributeError, orjson.JSONDecodeError) as exc:
            raise NodeFailure(f"Perimeter definition is not valid: {exc}") from None

    def inside(self, msg: Msg) -> bool:
        """Whether the message's coordinates are inside the perimeter (Failure if absent)."""
        body = body_of(msg)
        try:
            lat = float(body[self._lat_key])
            lng = float(body[self._lng_key])
        except (KeyError, TypeError, ValueError):
            raise NodeFailure(
                f"Incoming message has no latitude/longitude ('{self._lat_key}'/'{self._lng_key}')"
            ) from None
        polygons, circle = self._perimeter(msg)
        if circle is not None:
            return distance_m(lat, lng, circle[0], circle[1]) <= circle[2]
        return any(in_polygon(lat, lng, p) for p in polygons)


_PERIMETER_DEFAULTS: dict[str, Any] = {
    "latitudeKeyName": "latitude",
    "longitudeKeyName": "longitude",
    "perimeterType": "POLYGON",
    "fetchPerimeterInfoFromMessageMetadata": True,
    "perimeterKeyName": "ss_perimeter",
    "polygonsDefinition": None,
    "centerLatitude": None,
    "centerLongitude": None,
    "range": None,
    "rangeUnit": None,
}


class GpsGeofencingFilterNode(_GeofenceNode):
    """``True`` when the message's coordinates are inside the perimeter."""

    clazz = PREFIX + "geo.TbGpsGeofencingFilterNode"
    descriptor = Descriptor(
        ComponentType.FILTER,
        "gps geofencing filter",
        "Filter incoming messages by GPS based geofencing",
        relation_types=(Label.TRUE, Label.FALSE, Label.FAILURE),
        default_configuration=_PERIMETER_DEFAULTS,
        configuration_version=1,
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Inside → ``True``; outside → ``False``; no coordinates → ``Failure``."""
        return [Emit(Label.TRUE if self.inside(msg) else Label.FALSE, msg)]


@dataclass(slots=True)
class _Presence:
    inside: bool = False
    since: int = 0
    stayed: bool = False


_DURATION_MS = {"MILLISECONDS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000}


class GpsGeofencingActionNode(_GeofenceNode):
    """Entered/Left on crossing, Inside/Outside once the stay lasted long enough."""

    clazz = PREFIX + "geo.TbGpsGeofencingActionNode"
    requires = frozenset({Service.TELEMETRY})
    descriptor = Descriptor(
        ComponentType.ACTION,
        "gps geofencing events",
        "Produces incoming messages using GPS based geofencing",
        relation_types=("Entered", "Left", "Inside", "Outside", Label.SUCCESS, Label.FAILURE),
        default_configuration={
            **_PERIMETER_DEFAULTS,
            "minInsideDuration": 1,
            "minInsideDurationTimeUnit": "MINUTES",
            "minOutsideDuration": 1,
            "minOutsideDurationTimeUnit": "MINUTES",
        },
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._telemetry = ctx.telemetry()
        self._min_inside = config.integer("minInsideDuration", 1) * _DURATION_MS.get(
            config.text("minInsideDurationTimeUnit", "MINUTES"), 60_000
        )
        self._min_outside = config.integer("minOutsideDuration", 1) * _DURATION_MS.get(
            config.text("minOutsideDurationTimeUnit", "MINUTES"), 60_000
        )
        self._key = str(ctx.node_id)
        self._states: dict[uuid.UUID, _Presence] = {}

    async def _state(self, msg: Msg) -> _Presence:
        state = self._states.get(msg.originator.id)
        if state is None:
            got = await self._telemetry.get_attributes(
                msg.tenant_id, msg.originator.id, AttributeScope.SERVER_SCOPE, [self._key]
            )
            stored = got.get(AttributeScope.SERVER_SCOPE, [])
            state = _Presence()
            if stored:
                raw = stored[0].native_value()
                data = orjson.loads(raw) if isinstance(raw, str) else raw
                if isinstance(data, dict):
                    state = _Presence(
                        bool(data.get("inside")),
                        int(data.get("stateSwitchTime") or 0),
                        bool(data.get("stayed")),
                    )
            self._states[msg.originator.id] = state
        return state

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Compare with the originator's last presence and report transitions."""
        inside = self.inside(msg)
        state = await self._state(msg)
        now = int(msg.metadata.get("ts") or msg.ts)
        label: str = Label.SUCCESS
        if state.inside != inside:
            state.inside, state.since, state.stayed = inside, now, False
            label = "Entered" if inside else "Left"
        elif not state.stayed:
            needed = self._min_inside if inside else self._min_outside
            if now - state.since >= needed:
                state.stayed = True
                label = "Inside" if inside else "Outside"
        if label != Label.SUCCESS:
            value = json_text(
                {"inside": state.inside, "stateSwitchTime": state.since, "stayed": state.stayed}
            )
            await self._telemetry.save_attributes(
                msg.tenant_id,
                msg.originator.id,
                AttributeScope.SERVER_SCOPE,
                [KvEntry(self._key, value, DataType.JSON)],
            )
        return [Emit(label, msg)]


NODES: tuple[type[RuleNode], ...] = (GpsGeofencingFilterNode, GpsGeofencingActionNode)
