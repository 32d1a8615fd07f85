"""Hypothesis strategies for every MQTT packet type, on 3.1.1 and on 5.0.

The per-packet property lists restate MQTT 5 §2.2.2.2 independently of the codec's own
table, so a mistake in either shows up as a failed round trip.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from industryos.transport.mqtt.codec import encode
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import (
    NO_PROPERTIES,
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Subscription,
    Unsuback,
    Unsubscribe,
    Will,
)

text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20)
topic_names = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00+#"), min_size=1, max_size=30
)
filters = text.filter(bool)
packet_ids = st.integers(1, 65535)
u16 = st.integers(0, 65535)
u32 = st.integers(0, 2**32 - 1)
flag = st.integers(0, 1)
binary = st.binary(max_size=40)

_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "payload_format_indicator": flag,
    "message_expiry_interval": u32,
    "content_type": text,
    "response_topic": text,
    "correlation_data": binary,
    "subscription_identifiers": st.lists(st.integers(1, 268_435_455), max_size=3).map(tuple),
    "session_expiry_interval": u32,
    "assigned_client_identifier": text,
    "server_keep_alive": u16,
    "authentication_method": text,
    "authentication_data": binary,
    "request_problem_information": flag,
    "will_delay_interval": u32,
    "request_response_information": flag,
    "response_information": text,
    "server_reference": text,
    "reason_string": text,
    "receive_maximum": st.integers(1, 65535),
    "topic_alias_maximum": u16,
    "topic_alias": st.integers(1, 65535),
    "maximum_qos": flag,
    "retain_available": flag,
    "user_properties": st.lists(st.tuples(text, text), max_size=3).map(tuple),
    "maximum_packet_size": st.integers(1, 2**32 - 1),
    "wildcard_subscription_available": flag,
    "subscription_identifier_available": flag,
    "shared_subscription_available": flag,
}
_ACK = ("reason_string", "user_properties")
ALLOWED = {
    "connect": (
        "session_expiry_interval", "authentication_method", "authentication_data",
        "request_problem_information", "request_response_information", "receive_maximum",
        "topic_alias_maximum", "user_properties", "maximum_packet_size",
    ),
    "will": (
        "payload_format_indicator", "message_expiry_interval", "content_type", "response_topic",
        "correlation_data", "will_delay_interval", "user_properties",
    ),
    "connack": (
        "session_expiry_interval", "assigned_client_identifier", "server_keep_alive",
        "authentication_method", "authentication_data", "response_information",
        "server_reference", "reason_string", "receive_maximum", "topic_alias_maximum",
        "maximum_qos", "retain_available", "user_properties", "maximum_packet_size",
        "wildcard_subscription_available", "subscription_identifier_available",
        "shared_subscription_available",
    ),
    "publish": (
        "payload_format_indicator", "message_expiry_interval", "content_type", "response_topic",
        "correlation_data", "subscription_identifiers", "topic_alias", "user_properties",
    ),
    "ack": _ACK,
    "subscribe": ("user_properties",),
    "unsubscribe": ("user_properties",),
    "disconnect": ("session_expiry_interval", "server_reference", "reason_string",
                   "user_properties"),
    "auth": ("authentication_method", "authentication_data", "reason_string", "user_properties"),
}  # fmt: skip


def properties(kind: str, v5: bool) -> st.SearchStrategy[Properties]:
    """Properties allowed on ``kind``; always empty before MQTT 5."""
    if not v5:
        return st.just(NO_PROPERTIES)
    fields = {name: _FIELDS[name] for name in ALLOWED[kind]}
    return st.fixed_dictionaries({}, optional=fields).map(
        lambda values: Properties(**values) if values else NO_PROPERTIES
    )


def _reason(v5: bool) -> st.SearchStrategy[int]:
    return st.integers(0, 255) if v5 else st.just(0)


@st.composite
def connects(draw: st.DrawFn, v5: bool) -> Connect:
    level = ProtocolLevel.MQTT_5 if v5 else draw(st.sampled_from([3, 4]))
    will = None
    if draw(st.booleans()):
        will = Will(
            draw(topic_names),
            draw(binary),
            draw(st.integers(0, 2)),
            draw(st.booleans()),
            draw(properties("will", v5)),
        )
    username = draw(st.none() | text)
    password = draw(st.none() | binary) if v5 or username is not None else None
    return Connect(
        draw(text),
        ProtocolLevel(level),
        draw(st.booleans()),
        draw(u16),
        username,
        password,
        will,
        draw(properties("connect", v5)),
    )


@st.composite
def publishes(draw: st.DrawFn, v5: bool) -> Publish:
    qos = draw(st.integers(0, 2))
    return Publish(
        draw(topic_names),
        draw(st.binary(max_size=200)),
        qos,
        draw(st.booleans()),
        draw(st.booleans()) if qos else False,
        draw(packet_ids) if qos else 0,
        draw(properties("publish", v5)),
    )


def subscriptions(v5: bool) -> st.SearchStrategy[Subscription]:
    if not v5:
        return st.builds(Subscription, filters, st.integers(0, 2))
    return st.builds(
        Subscription,
        filters,
        st.integers(0, 2),
        st.booleans(),
        st.booleans(),
        st.integers(0, 2),
    )


def packets(v5: bool) -> st.SearchStrategy[Packet]:
    """Any packet valid on a 3.1.1 (``v5=False``) or MQTT 5 connection, except CONNECT."""
    acks = [
        st.builds(cls, packet_ids, _reason(v5), properties("ack", v5))
        for cls in (Puback, Pubrec, Pubrel, Pubcomp)
    ]
    codes = st.lists(st.integers(0, 255), min_size=1, max_size=5)
    options: list[st.SearchStrategy[Any]] = [
        *acks,
        st.builds(Connack, st.booleans(), st.integers(0, 255), properties("connack", v5)),
        publishes(v5),
        st.builds(
            Subscribe,
            packet_ids,
            st.lists(subscriptions(v5), min_size=1, max_size=4),
            properties("subscribe", v5),
        ),
        st.builds(Suback, packet_ids, codes, properties("ack", v5)),
        st.builds(
            Unsubscribe,
            packet_ids,
            st.lists(filters, min_size=1, max_size=4),
            properties("unsubscribe", v5),
        ),
        st.builds(Unsuback, packet_ids, codes if v5 else st.just([]), properties("ack", v5)),
        st.just(Pingreq()),
        st.just(Pingresp()),
        st.builds(Disconnect, _reason(v5), properties("disconnect", v5)),
    ]
    if v5:
        options.append(st.builds(Auth, st.integers(0, 255), properties("auth", v5)))
    return st.one_of(options)


@st.composite
def mutated(draw: st.DrawFn, v5: bool) -> bytes:
    """A valid packet stream with bytes flipped, inserted, deleted or cut off."""
    stream = bytearray(b"".join(encode(p, v5) for p in draw(st.lists(packets(v5), max_size=4))))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        index = draw(st.integers(0, max(len(stream) - 1, 0)))
        if op == "flip" and stream:
            stream[index] ^= draw(st.integers(1, 255))
        elif op == "insert":
            stream[index:index] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete" and stream:
            del stream[index]
        elif op == "truncate":
            del stream[index:]
    return bytes(stream)
