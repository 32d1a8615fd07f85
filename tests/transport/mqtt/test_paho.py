"""The real client: paho-mqtt 2 on MQTT 3.1.1 and 5 against the server."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties as PahoProperties

from industryos.transport.mqtt import ReasonCode
from tests.transport.mqtt.conftest import RecordingApp, ServerThread
from tests.transport.mqtt.pahoclient import Paho

VERSIONS = pytest.mark.parametrize("version", ["3.1.1", "5"])


@pytest.mark.parametrize("version", ["3.1", "3.1.1", "5"])
def test_connect_and_publish_at_every_qos(
    server: ServerThread, app: RecordingApp, version: str
) -> None:
    client = Paho(version)
    assert client.connect(server.port) == 0
    for qos in (0, 1, 2):
        client.publish(f"v1/devices/me/telemetry/{qos}", b'{"q":%d}' % qos, qos)
    app.wait(lambda: len(app.publishes) == 3)
    received = [(ctx, p.topic, p.qos, p.payload) for ctx, p in app.publishes]
    assert received == [
        ("token-a", f"v1/devices/me/telemetry/{qos}", qos, b'{"q":%d}' % qos) for qos in (0, 1, 2)
    ]


@VERSIONS
@pytest.mark.parametrize("qos", [1, 2])
def test_server_publish_is_confirmed_without_a_subscription(
    server: ServerThread, version: str, qos: int
) -> None:
    client = Paho(version)
    client.connect(server.port)
    session = server.session("token-a")
    server.call(session.publish("v1/devices/me/rpc/request/7", b'{"method":"m"}', qos))
    message = client.wait(lambda: client.messages and client.messages[0])
    assert (message.topic, message.payload, message.qos) == (
        "v1/devices/me/rpc/request/7",
        b'{"method":"m"}',
        qos,
    )
    assert session.inflight_out == 0


@VERSIONS
def test_keep_alive_timeout_drops_a_silent_client_only(
    server: ServerThread, app: RecordingApp, version: str
) -> None:
    # paho pings between keepalive and keepalive + 1 s (its loop ticks once a second), so
    # the live client uses 3 s: its pings always come within the 4.5 s the server allows.
    silent, chatty = Paho(version, keepalive=1), Paho(version, keepalive=3)
    silent.client.username_pw_set("token-a")
    silent.client.connect("127.0.0.1", server.port, keepalive=1)
    silent.client.loop(timeout=1.0)  # reads the CONNACK, then the loop never runs again
    chatty.connect(server.port, "token-b")
    dropped = app.wait(lambda: app.events_of("disconnect"), timeout=5)
    assert dropped == [("token-a", ReasonCode.KEEP_ALIVE_TIMEOUT)]
    time.sleep(0.5)
    assert chatty.client.is_connected()
    assert [ctx for ctx, _ in app.events_of("disconnect")] == ["token-a"]


@VERSIONS
def test_second_session_with_the_same_credentials_takes_over(
    server: ServerThread, app: RecordingApp, version: str
) -> None:
    first, second = Paho(version, client_id="first"), Paho(version, client_id="second")
    first.connect(server.port)
    assert second.connect(server.port) == 0
    reason = first.wait(lambda: first.disconnect_reason)
    if version == "5":
        assert reason.value == ReasonCode.SESSION_TAKEN_OVER
    assert app.wait(lambda: app.events_of("disconnect")) == [
        ("token-a", ReasonCode.SESSION_TAKEN_OVER)
    ]
    assert [value for _, value in app.events_of("connect")] == ["first", "second"]
    second.publish("v1/devices/me/telemetry", b"{}", 1)
    assert server.session("token-a").client_id == "second"


@pytest.mark.parametrize(
    ("version", "username", "expected"),
    [
        ("5", "wrong-token", ReasonCode.BAD_USER_NAME_OR_PASSWORD),
        ("5", None, ReasonCode.NOT_AUTHORIZED),
        ("3.1.1", "wrong-token", ReasonCode.NOT_AUTHORIZED),  # paho maps v3 code 5 to 0x87
        ("3.1.1", None, ReasonCode.NOT_AUTHORIZED),
    ],
)
def test_refused_credentials(
    server: ServerThread, app: RecordingApp, version: str, username: str | None, expected: int
) -> None:
    client = Paho(version)
    reason = client.connect(server.port, username)
    assert reason.value == expected
    client.wait(lambda: client.disconnect_reason is not None)
    assert app.events_of("connect") == []


def test_payload_over_the_limit_mqtt5_gets_0x95(server: ServerThread, app: RecordingApp) -> None:
    client = Paho("5")
    client.connect(server.port)
    props = client.connack_properties
    assert props is not None
    assert props.MaximumPacketSize == 65_540  # type: ignore[attr-defined]  # paho: set at run time
    assert props.ReceiveMaximum == 1024  # type: ignore[attr-defined]  # paho: set at run time
    client.client.publish("v1/devices/me/telemetry", b"x" * 70_000, 1)
    reason = client.wait(lambda: client.disconnect_reason)
    assert reason.value == ReasonCode.PACKET_TOO_LARGE
    assert app.topics() == []


def test_payload_over_the_limit_v311_closes_the_connection(
    server: ServerThread, app: RecordingApp
) -> None:
    client = Paho("3.1.1")
    client.connect(server.port)
    client.client.publish("v1/devices/me/telemetry", b"x" * 70_000, 1)
    client.wait(lambda: client.disconnect_reason is not None)
    assert app.wait(lambda: app.events_of("disconnect")) == [
        ("token-a", ReasonCode.PACKET_TOO_LARGE)
    ]
    assert app.topics() == []


@pytest.mark.parametrize(("version", "refused"), [("5", 0x8F), ("3.1.1", 0x80)])
def test_subscribe_grants_or_refuses(server: ServerThread, version: str, refused: int) -> None:
    client = Paho(version)
    client.connect(server.port)
    assert [c.value for c in client.subscribe("v1/devices/me/rpc/request/+", 1)] == [1]
    assert [c.value for c in client.subscribe("foo/bar", 1)] == [refused]


def test_topic_alias_from_paho_is_resolved(server: ServerThread, app: RecordingApp) -> None:
    client = Paho("5")
    client.connect(server.port)
    props = PahoProperties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho: unannotated
    props.TopicAlias = 2
    client.publish("v1/devices/me/telemetry", b'{"a":1}', 1, properties=props)
    client.publish("", b'{"a":2}', 1, properties=props)
    app.wait(lambda: len(app.publishes) == 2)
    assert app.topics() == ["v1/devices/me/telemetry"] * 2


def test_server_publish_to_a_closed_session_fails(
    make_server: Callable[..., ServerThread],
) -> None:
    from industryos.transport.mqtt import SessionClosed

    server = make_server()
    client = Paho("5")
    client.connect(server.port)
    session = server.session("token-a")
    client.client.disconnect()
    server.app.wait(lambda: server.app.events_of("disconnect"))
    with pytest.raises(SessionClosed):
        server.call(session.publish("v1/devices/me/rpc/request/1", b"{}", 1))
