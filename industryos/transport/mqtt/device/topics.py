"""The device topics (spec device-api §2.4, §2.5, §2.15) as tables: wire constants only.

Uplink routing is one exact-topic table plus one ordered prefix table (the ``/j/`` and
``/p/`` forms of v2 come before the plain one, as §2.5 requires). A device profile's
custom telemetry and attribute filters are checked first and then replace the default v1
topics for that purpose. Downlink topics are looked up by *family* (v1, v2, v2 JSON):
a reply goes out in the family of its request, a push in the family of the subscription.

Protobuf (the ``/p`` forms) is not supported: such a publish is a payload the adapter
cannot read (0x99) and such a subscription is refused (0x8F).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from industryos.transport.mqtt.device.profiles import MqttProfile

__all__ = [
    "ATTRIBUTE_RESPONSE",
    "ATTRIBUTE_UPDATES",
    "RPC_REQUEST",
    "RPC_RESPONSE",
    "SUBSCRIBE_FILTERS",
    "Effect",
    "Family",
    "Route",
    "Uplink",
    "filter_matches",
    "route",
]


class Uplink(StrEnum):
    """What a device publish means."""

    TELEMETRY = "telemetry"
    ATTRIBUTES = "attributes"
    ATTRIBUTE_REQUEST = "attribute request"
    RPC_REPLY = "rpc reply"
    CLIENT_RPC = "client rpc"
    CLAIM = "claim"
    GATEWAY = "gateway"
    FIRMWARE_CHUNK = "firmware chunk"
    SOFTWARE_CHUNK = "software chunk"


class Family(Enum):
    """A topic family: responses and pushes go out in the family they were asked in."""

    V1 = "v1"
    V2 = "v2"
    V2_JSON = "v2/j"
    V2_PROTO = "v2/p"


class Effect(StrEnum):
    """What a subscription turns on for the session."""

    ATTRIBUTE_UPDATES = "attribute updates"
    RPC = "rpc"


@dataclass(frozen=True, slots=True)
class Route:
    """A routed publish: its meaning, family and the request id text after the prefix."""

    uplink: Uplink
    family: Family
    suffix: str = ""


V1_TELEMETRY = "v1/devices/me/telemetry"
V1_ATTRIBUTES = "v1/devices/me/attributes"

_EXACT: dict[str, tuple[Uplink, Family]] = {
    V1_TELEMETRY: (Uplink.TELEMETRY, Family.V1),
    V1_ATTRIBUTES: (Uplink.ATTRIBUTES, Family.V1),
    "v1/devices/me/claim": (Uplink.CLAIM, Family.V1),
    "v2/t": (Uplink.TELEMETRY, Family.V2),
    "v2/t/j": (Uplink.TELEMETRY, Family.V2_JSON),
    "v2/t/p": (Uplink.TELEMETRY, Family.V2_PROTO),
    "v2/a": (Uplink.ATTRIBUTES, Family.V2),
    "v2/a/j": (Uplink.ATTRIBUTES, Family.V2_JSON),
    "v2/a/p": (Uplink.ATTRIBUTES, Family.V2_PROTO),
}

_PREFIXES: tuple[tuple[str, Uplink, Family], ...] = (
    ("v1/devices/me/attributes/request/", Uplink.ATTRIBUTE_REQUEST, Family.V1),
    ("v1/devices/me/rpc/response/", Uplink.RPC_REPLY, Family.V1),
    ("v1/devices/me/rpc/request/", Uplink.CLIENT_RPC, Family.V1),
    ("v2/a/req/j/", Uplink.ATTRIBUTE_REQUEST, Family.V2_JSON),
    ("v2/a/req/p/", Uplink.ATTRIBUTE_REQUEST, Family.V2_PROTO),
    ("v2/a/req/", Uplink.ATTRIBUTE_REQUEST, Family.V2),
    ("v2/r/res/j/", Uplink.RPC_REPLY, Family.V2_JSON),
    ("v2/r/res/p/", Uplink.RPC_REPLY, Family.V2_PROTO),
    ("v2/r/res/", Uplink.RPC_REPLY, Family.V2),
    ("v2/r/req/j/", Uplink.CLIENT_RPC, Family.V2_JSON),
    ("v2/r/req/p/", Uplink.CLIENT_RPC, Family.V2_PROTO),
    ("v2/r/req/", Uplink.CLIENT_RPC, Family.V2),
    ("v1/gateway/", Uplink.GATEWAY, Family.V1),
    ("v2/fw/request/", Uplink.FIRMWARE_CHUNK, Family.V2),
    ("v2/sw/request/", Uplink.SOFTWARE_CHUNK, Family.V2),
)

ATTRIBUTE_RESPONSE = {
    Family.V1: "v1/devices/me/attributes/response/",
    Family.V2: "v2/a/res/",
    Family.V2_JSON: "v2/a/res/j/",
}
RPC_RESPONSE = {
    Family.V1: "v1/devices/me/rpc/response/",
    Family.V2: "v2/r/res/",
    Family.V2_JSON: "v2/r/res/j/",
}
RPC_REQUEST = {
    Family.V1: "v1/devices/me/rpc/request/",
    Family.V2: "v2/r/req/",
    Family.V2_JSON: "v2/r/req/j/",
}
ATTRIBUTE_UPDATES = {Family.V1: V1_ATTRIBUTES, Family.V2: "v2/a", Family.V2_JSON: "v2/a/j"}

SUBSCRIBE_FILTERS: dict[str, tuple[Effect | None, Family]] = {
    V1_ATTRIBUTES: (Effect.ATTRIBUTE_UPDATES, Family.V1),
    "v1/devices/me/rpc/request/+": (Effect.RPC, Family.V1),
    "v2/a": (Effect.ATTRIBUTE_UPDATES, Family.V2),
    "v2/a/j": (Effect.ATTRIBUTE_UPDATES, Family.V2_JSON),
    "v2/r/req/+": (Effect.RPC, Family.V2),
    "v2/r/req/j/+": (Effect.RPC, Family.V2_JSON),
    "v1/devices/me/attributes/response/+": (None, Family.V1),
    "v1/devices/me/rpc/response/+": (None, Family.V1),
    "v2/a/res/+": (None, Family.V2),
    "v2/a/res/j/+": (None, Family.V2_JSON),
    "v2/r/res/+": (None, Family.V2),
    "v2/r/res/j/+": (None, Family.V2_JSON),
    "v1/gateway/attributes": (None, Family.V1),
    "v1/gateway/rpc": (None, Family.V1),
    "v1/gateway/attributes/response": (None, Family.V1),
    "v2/fw/response/+/chunk/+": (None, Family.V2),
    "v2/fw/response/+": (None, Family.V2),
    "v2/fw/error": (None, Family.V2),
    "v2/sw/response/+/chunk/+": (None, Family.V2),
    "v2/sw/response/+": (None, Family.V2),
    "v2/sw/error": (None, Family.V2),
}
"""Every filter a device session may subscribe to, with its side effect (§2.4)."""


def filter_matches(topic_filter: str, topic: str) -> bool:
    """MQTT topic-filter matching with ``+`` (one level) and ``#`` (the rest)."""
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels):
            return False
        if level != "+" and level != topic_levels[index]:
            return False
    return len(filter_levels) == len(topic_levels)


def route(topic: str, profile: MqttProfile | None = None) -> Route | None:
    """What a publish on ``topic`` means for a device of ``profile``; None if unknown."""
    if profile is not None:
        if profile.attributes_filter and filter_matches(profile.attributes_filter, topic):
            return Route(Uplink.ATTRIBUTES, Family.V1)
        if profile.telemetry_filter and filter_matches(profile.telemetry_filter, topic):
            return Route(Uplink.TELEMETRY, Family.V1)
    exact = _EXACT.get(topic)
    if exact is not None:
        if profile is not None and (
            (topic == V1_TELEMETRY and profile.telemetry_filter)
            or (topic == V1_ATTRIBUTES and profile.attributes_filter)
        ):
            return None  # a custom filter replaces the default topic (§2.15)
        return Route(*exact)
    for prefix, uplink, family in _PREFIXES:
        if topic.startswith(prefix):
            return Route(uplink, family, topic[len(prefix) :])
    return None
