"""The server against raw sockets: bad input of every kind costs only its own connection."""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from industryos.transport.mqtt import DeliveryTimeout, MqttConfig
from industryos.transport.mqtt import server as server_module
from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import (
    Connack,
    Connect,
    Disconnect,
    Pingreq,
    Pingresp,
    Properties,
    Puback,
    Publish,
    Pubrec,
)
from industryos.transport.mqtt.reason_codes import ConnackReturnCode, ReasonCode
from tests.transport.mqtt.conftest import RecordingApp, ServerThread
from tests.transport.mqtt.rawclient import RawClient
from tests.transport.mqtt.strategies import mutated

V5_AND_V3 = pytest.mark.parametrize("v5", [True, False], ids=["5", "3.1.1"])


def assert_serving(server: ServerThread) -> None:
    """A fresh client still connects and gets PINGRESP."""
    client = RawClient(server.port)
    assert client.connect("token-c").reason_code == ReasonCode.SUCCESS
    client.send(Pingreq())
    assert client.next_packet() == Pingresp()
    client.close()


def connect_bytes(name: bytes, level: int) -> bytes:
    body = b"\x00" + bytes((len(name),)) + name + bytes((level,)) + b"\x02\x00\x3c"
    body += b"\x00" if level == 5 else b""  # properties
    body += b"\x00\x00"  # empty client id
    return bytes((0x10, len(body))) + body


def test_connack_announces_limits_and_assigns_a_client_id(server: ServerThread) -> None:
    client = RawClient(server.port)
    connack = client.connect(client_id="")
    props = connack.properties
    assert connack.session_present is False
    assert props.maximum_packet_size == 65_540
    assert props.receive_maximum == 1024
    assert props.topic_alias_maximum == 64
    assert props.assigned_client_identifier
    client.close()


def test_garbage_bytes_close_only_that_connection(server: ServerThread) -> None:
    healthy = RawClient(server.port)
    healthy.connect("token-b")
    garbage = RawClient(server.port)
    garbage.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert garbage.wait_closed() == []
    healthy.send(Pingreq())
    assert healthy.next_packet() == Pingresp()
    assert_serving(server)


@pytest.mark.parametrize(
    ("level", "v5_answer", "code"),
    [
        (6, True, ReasonCode.UNSUPPORTED_PROTOCOL_VERSION),
        (2, False, ConnackReturnCode.UNACCEPTABLE_PROTOCOL_VERSION),
    ],
    ids=["level 6 gets 0x84", "level 2 gets return code 1"],
)
def test_wrong_protocol_level_is_refused(
    server: ServerThread, level: int, v5_answer: bool, code: int
) -> None:
    client = RawClient(server.port, v5=v5_answer)
    client.send(connect_bytes(b"MQTT", level))
    assert client.wait_closed() == [Connack(False, code)]
    assert_serving(server)


@V5_AND_V3
def test_malformed_packet_after_connect(server: ServerThread, v5: bool) -> None:
    client = RawClient(server.port, v5=v5)
    client.connect()
    client.send(b"\x30\x03\x00\x09a")  # topic length beyond the packet
    expected = [Disconnect(ReasonCode.MALFORMED_PACKET)] if v5 else []
    assert client.wait_closed() == expected
    assert_serving(server)


def test_truncated_packet_then_hang_up_delivers_nothing(
    server: ServerThread, app: RecordingApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(encode(Publish("t/1", b"x" * 100, 1, packet_id=1), True)[:40])
    client.close()
    disconnects = app.wait(lambda: app.events_of("disconnect"))
    assert disconnects == [("token-a", ReasonCode.UNSPECIFIED_ERROR)]
    assert app.topics() == []


@V5_AND_V3
def test_packet_over_the_limit(server: ServerThread, app: RecordingApp, v5: bool) -> None:
    client = RawClient(server.port, v5=v5)
    client.connect()
    client.send(Publish("t/ok", b"x" * 65_000, 1, packet_id=1))
    assert client.next_packet() == Puback(1)
    client.send(Publish("t/big", b"x" * 65_537, 1, packet_id=2))
    expected = [Disconnect(ReasonCode.PACKET_TOO_LARGE)] if v5 else []
    assert client.wait_closed() == expected
    assert app.topics() == ["t/ok"]


def test_second_connect_is_a_protocol_error(server: ServerThread) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(Connect("again", ProtocolLevel.MQTT_5, username="token-a"))
    assert client.wait_closed() == [Disconnect(ReasonCode.PROTOCOL_ERROR)]


def test_silent_connection_is_dropped_after_the_connect_timeout(
    make_server: Callable[..., ServerThread],
) -> None:
    server = make_server(connect_timeout=0.3)
    assert RawClient(server.port).wait_closed(timeout=3) == []


def test_packets_sent_with_connect_are_handled_after_connack(
    server: ServerThread, app: RecordingApp
) -> None:
    client = RawClient(server.port)
    connect = encode(Connect("c", ProtocolLevel.MQTT_5, username="token-a"), True)
    client.send(connect + encode(Publish("t/early", b"1", 1, packet_id=4), True))
    assert client.next_packet().reason_code == ReasonCode.SUCCESS  # type: ignore[union-attr]
    assert client.next_packet() == Puback(4)
    assert app.topics() == ["t/early"]


def test_receive_maximum_exceeded(
    make_server: Callable[..., ServerThread], app: RecordingApp
) -> None:
    server = make_server(receive_maximum=2)
    client = RawClient(server.port)
    assert client.connect().properties.receive_maximum == 2
    client.send(b"".join(encode(Publish("hold/x", b"", 1, packet_id=i), True) for i in (1, 2, 3)))
    packets = client.wait_closed()
    app.hold.set()
    assert packets == [Disconnect(ReasonCode.RECEIVE_MAXIMUM_EXCEEDED)]


def test_ping_is_answered_while_a_publish_waits_for_the_application(
    server: ServerThread, app: RecordingApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(Publish("hold/1", b"", 1, packet_id=1))
    client.send(Publish("t/2", b"", 1, packet_id=2))
    client.send(Pingreq())
    assert client.next_packet() == Pingresp()
    assert app.topics() == []
    app.hold.set()
    assert [client.next_packet(), client.next_packet()] == [Puback(1), Puback(2)]
    assert app.topics() == ["hold/1", "t/2"]


def test_acks_follow_publish_order_across_qos(server: ServerThread, app: RecordingApp) -> None:
    app.publish_delay = 0.002
    client = RawClient(server.port)
    client.connect()
    sent = [Publish(f"t/{i}", b"", 1 + i % 2, packet_id=i) for i in range(1, 31)]
    client.send(b"".join(encode(p, True) for p in sent))
    acks = [client.next_packet() for _ in sent]
    assert acks == [(Puback if p.qos == 1 else Pubrec)(p.packet_id) for p in sent]
    assert app.topics() == [p.topic for p in sent]


@pytest.mark.parametrize(
    ("topic", "v5", "answer", "stays"),
    [
        ("unknown/x", True, Puback(1, ReasonCode.TOPIC_NAME_INVALID), True),
        ("bad/x", True, Puback(1, ReasonCode.PAYLOAD_FORMAT_INVALID), True),
        ("fail/x", True, Disconnect(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR), False),
        ("unknown/x", False, Puback(1), True),
        ("fail/x", False, None, False),
    ],
)
def test_application_verdicts_become_acks_or_disconnects(
    server: ServerThread, topic: str, v5: bool, answer: object, stays: bool
) -> None:
    client = RawClient(server.port, v5=v5)
    client.connect()
    client.send(Publish(topic, b"{}", 1, packet_id=1))
    if stays:
        assert client.next_packet() == answer
        client.send(Pingreq())
        assert client.next_packet() == Pingresp()
    else:
        assert client.wait_closed() == ([answer] if answer else [])


def test_application_fault_closes_with_0x83_and_logs_an_error(
    server: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(Publish("crash/x", b"", 1, packet_id=1))
    assert client.wait_closed() == [Disconnect(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)]
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert_serving(server)


def test_everything_sent_before_disconnect_reaches_the_application(
    server: ServerThread, app: RecordingApp
) -> None:
    client = RawClient(server.port, v5=False)
    client.connect()
    burst = [Publish(f"t/{i}", b"x") for i in range(200)]
    client.send(b"".join(encode(p, False) for p in burst) + encode(Disconnect(), False))
    assert client.wait_closed() == []
    events = app.wait(lambda: app.events_of("disconnect"))
    assert events == [("token-a", ReasonCode.SUCCESS)]
    assert app.topics() == [p.topic for p in burst]


def test_close_tells_v5_clients_the_server_is_shutting_down(
    make_server: Callable[..., ServerThread], app: RecordingApp
) -> None:
    server = make_server()
    v5, v3 = RawClient(server.port), RawClient(server.port, v5=False)
    v5.connect("token-a")
    v3.connect("token-b")
    server.call(server.server.close())
    assert v5.wait_closed() == [Disconnect(ReasonCode.SERVER_SHUTTING_DOWN)]
    assert v3.wait_closed() == []
    reasons = sorted(reason for _, reason in app.events_of("disconnect"))
    assert reasons == [ReasonCode.SERVER_SHUTTING_DOWN] * 2


def test_topic_alias_from_client_is_resolved(server: ServerThread, app: RecordingApp) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(Publish("v1/devices/me/telemetry", b"1", properties=Properties(topic_alias=1)))
    client.send(Publish("", b"2", 1, packet_id=1, properties=Properties(topic_alias=1)))
    assert client.next_packet() == Puback(1)
    assert app.topics() == ["v1/devices/me/telemetry"] * 2


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    config = MqttConfig(
        host="127.0.0.1", port=0, tls_port=None, data_dir=tmp_path_factory.mktemp("fuzz")
    )
    server = ServerThread(config, RecordingApp())
    yield server
    server.stop()


def fuzz_connection(server: ServerThread, v5: bool, chunks: list[bytes]) -> None:
    client = RawClient(server.port, v5=v5)
    client.connect()
    try:
        for chunk in chunks:
            client.send(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server already hung up on an earlier chunk: that is the expected outcome
    client.drain(0.05)
    client.close()


@V5_AND_V3
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(chunks=st.lists(st.binary(min_size=1, max_size=120), min_size=1, max_size=3))
def test_fuzzed_bytes_on_a_live_connection(
    fuzz_server: ServerThread, caplog: pytest.LogCaptureFixture, v5: bool, chunks: list[bytes]
) -> None:
    fuzz_connection(fuzz_server, v5, chunks)
    assert_serving(fuzz_server)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@V5_AND_V3
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_mutated_packets_on_a_live_connection(
    fuzz_server: ServerThread, caplog: pytest.LogCaptureFixture, v5: bool, data: st.DataObject
) -> None:
    stream = data.draw(mutated(v5))
    fuzz_connection(fuzz_server, v5, [stream] if stream else [b"\x00"])
    assert_serving(fuzz_server)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("v5", "username", "code"),
    [
        (True, "wrong-token", ReasonCode.BAD_USER_NAME_OR_PASSWORD),
        (True, "", ReasonCode.BAD_USER_NAME_OR_PASSWORD),
        (False, "wrong-token", ConnackReturnCode.NOT_AUTHORIZED),
    ],
)
def test_refused_connect_gets_the_exact_code_then_close(
    server: ServerThread, v5: bool, username: str, code: int
) -> None:
    client = RawClient(server.port, v5=v5)
    client.send(
        Connect("", ProtocolLevel.MQTT_5 if v5 else ProtocolLevel.MQTT_3_1_1, username=username)
    )
    assert client.wait_closed() == [Connack(False, code)]


def test_unacknowledged_server_publish_times_out(server: ServerThread) -> None:
    client = RawClient(server.port)
    client.connect()
    session = server.session("token-a")
    with pytest.raises(DeliveryTimeout):
        server.call(session.publish("rpc/request/1", b"{}", 1, delivery_timeout=0.2))
    delivered = client.next_packet()
    assert isinstance(delivered, Publish)
    assert delivered.topic == "rpc/request/1"
    assert session.inflight_out == 0


@V5_AND_V3
def test_per_session_limits_from_the_application(
    server: ServerThread, app: RecordingApp, v5: bool
) -> None:
    client = RawClient(server.port, v5=v5)
    connack = client.connect("token-small")
    if v5:
        assert connack.properties.receive_maximum == 5
        assert connack.properties.maximum_packet_size == 1003
    client.send(Publish("t/ok", b"x" * 900, 1, packet_id=1))
    assert client.next_packet() == Puback(1)
    client.send(Publish("t/big", b"x" * 1000, 1, packet_id=2))
    expected = [Disconnect(ReasonCode.PACKET_TOO_LARGE)] if v5 else []
    assert client.wait_closed() == expected
    assert app.topics() == ["t/ok"]


FLEET_AT_ONCE = 600
"""Devices connecting in the same instant, as after a node restart: more than a default
listen backlog (100, asyncio's and uvloop's) holds."""


def _established(sockets: list[socket.socket], within: float) -> int:
    """How many of the connecting ``sockets`` completed their TCP handshake in time."""
    poller = select.poll()
    by_fd = {sock.fileno(): sock for sock in sockets}
    for fd in by_fd:
        poller.register(fd, select.POLLOUT)
    done = 0
    deadline = time.monotonic() + within
    while by_fd and (left := deadline - time.monotonic()) > 0:
        for fd, _ in poller.poll(left * 1000):
            poller.unregister(fd)
            if not by_fd.pop(fd).getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                done += 1
    return done


def test_a_fleet_connecting_while_the_server_is_busy_waits_in_the_backlog(
    server: ServerThread,
) -> None:
    """The kernel completes handshakes while the event loop is busy and queues them for the
    listener's accept. A short queue drops the SYNs past it, and each device then waits for
    its retry (1, 3, 7, 15, 31 s: a reconnect storm took over 30 s per device)."""
    busy, holding = threading.Event(), threading.Event()

    def hold_the_loop() -> None:
        holding.set()
        busy.wait(10)

    server.loop.call_soon_threadsafe(hold_the_loop)
    assert holding.wait(5)
    fleet: list[socket.socket] = []
    try:
        for _ in range(FLEET_AT_ONCE):
            sock = socket.socket()
            fleet.append(sock)
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", server.port))
        assert _established(fleet, within=1.5) == FLEET_AT_ONCE
    finally:
        busy.set()
    last = fleet[-1]
    last.setblocking(True)
    last.settimeout(5)
    last.sendall(encode(Connect(client_id="last-of-the-fleet", username="token-a"), v5=False))
    decoder = StreamDecoder(server=False)
    while not (packets := list(decoder.feed(last.recv(4096)))):
        pass
    assert packets[0] == Connack(reason_code=ConnackReturnCode.ACCEPTED)
    for sock in fleet:
        sock.close()
    assert_serving(server)


def test_connections_close_to_the_open_file_limit_are_reported_once_a_minute(
    make_server: Callable[..., ServerThread],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uvloop stops accepting at the open-file limit without a word: the server says so
    before it gets there."""
    monkeypatch.setattr(server_module, "open_file_limit", lambda: 10)
    server = make_server()
    clients = [RawClient(server.port) for _ in range(8)]
    assert clients[-1].connect("token-a").reason_code == ReasonCode.SUCCESS
    assert "close to this process's open-file limit" not in caplog.text  # 8 < 90 % of 10
    with caplog.at_level(logging.WARNING, "industryos.transport.mqtt.server"):
        more = [RawClient(server.port) for _ in range(3)]
        assert more[-1].connect("token-b").reason_code == ReasonCode.SUCCESS
    crowded = [r for r in caplog.records if "open-file limit" in r.getMessage()]
    assert len(crowded) == 1  # 9, 10, 11 connections: one warning a minute
    assert crowded[0].getMessage().startswith("9 MQTT connections")
