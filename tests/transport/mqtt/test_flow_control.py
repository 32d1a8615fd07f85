"""Flow control of the protocol-based connection: reading pauses while the worker is full,
packets behind a CONNECT wait for CONNACK (PINGREQ is answered inline, the hooks in
order), and one wheel serves every session's keep-alive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from industryos.transport.mqtt.codec import encode
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import (
    Connack,
    Connect,
    Pingreq,
    Pingresp,
    Puback,
    Publish,
    Suback,
    Subscribe,
    Subscription,
)
from tests.transport.mqtt.conftest import RecordingApp, ServerThread
from tests.transport.mqtt.rawclient import RawClient


def _send_until_blocked(client: RawClient, data: bytes, timeout: float) -> int:
    """Send ``data``; the number of bytes the peer took before ``timeout`` passed."""
    client.sock.settimeout(timeout)
    sent = 0
    try:
        while sent < len(data):
            sent += client.sock.send(data[sent : sent + 65536])
    except TimeoutError:
        pass
    return sent


def test_a_full_worker_stops_reading_and_nothing_is_lost_when_it_resumes(
    make_server: Callable[..., ServerThread], app: RecordingApp
) -> None:
    server = make_server(max_pending_packets=4)
    client = RawClient(server.port)
    client.connect()
    payload = b"x" * 60_000
    publishes = [Publish("hold/0", b"", 1, packet_id=1)]
    publishes += [Publish(f"t/{i}", payload, 1, packet_id=i + 1) for i in range(1, 300)]
    data = b"".join(encode(p, True) for p in publishes)
    sent = _send_until_blocked(client, data, timeout=1.0)
    assert sent < len(data), "the server kept reading while its worker was full"
    assert app.topics() == []
    app.hold.set()
    client.sock.settimeout(10)
    client.sock.sendall(data[sent:])
    acks = [client.next_packet(timeout=10) for _ in publishes]
    assert acks == [Puback(p.packet_id) for p in publishes]
    assert app.topics() == [p.topic for p in publishes]


def test_packets_behind_the_connect_are_handled_after_connack_in_order(
    server: ServerThread, app: RecordingApp
) -> None:
    client = RawClient(server.port)
    client.send(
        b"".join(
            (
                encode(Connect("c", ProtocolLevel.MQTT_5, username="token-a"), True),
                encode(Subscribe(1, [Subscription("a/b", 1)]), True),
                encode(Publish("t/1", b"1", 1, packet_id=2), True),
                encode(Pingreq(), True),
            )
        )
    )
    packets = [client.next_packet() for _ in range(4)]
    assert isinstance(packets[0], Connack) and packets[0].reason_code == 0
    rest = packets[1:]
    assert sorted(map(repr, rest)) == sorted(map(repr, [Suback(1, [1]), Pingresp(), Puback(2)]))
    assert rest.index(Suback(1, [1])) < rest.index(Puback(2)), "hooks ran out of order"
    assert app.topics() == ["t/1"]


def test_every_session_shares_the_server_keep_alive_wheel(server: ServerThread) -> None:
    clients = [RawClient(server.port) for _ in range(3)]
    for index, client in enumerate(clients):
        client.connect(username="token-a" if index == 0 else f"token-{'bc'[index - 1]}")

    async def watched() -> int:
        wheel = server.server._wheel
        assert wheel is not None
        return wheel.watched

    assert server.call(watched()) == 3
    clients[0].close()
    server.app.wait(lambda: server.app.events_of("disconnect"))
    assert server.call(watched()) == 2


def test_a_streamed_publish_waits_for_a_slow_reader_and_other_packets_follow_it(
    server: ServerThread,
) -> None:
    client = RawClient(server.port)  # reads nothing until the image is half-way in flight
    client.connect()
    session = server.session("token-a")
    piece, count = bytes(range(256)) * 256, 80  # 64 KiB pieces, 5 MiB in all

    async def pieces() -> AsyncIterator[bytes]:
        for _ in range(count):
            yield piece

    streaming = asyncio.run_coroutine_threadsafe(
        session.publish_stream("ota/image", len(piece) * count, pieces(), qos=0), server.loop
    )
    time.sleep(0.5)
    assert not streaming.done(), "the whole image was buffered instead of waiting for the peer"
    client.send(Pingreq())
    publish = client.next_packet(timeout=10)
    assert isinstance(publish, Publish) and publish.topic == "ota/image"
    assert publish.payload == piece * count
    assert client.next_packet() == Pingresp()
    streaming.result(timeout=5)
