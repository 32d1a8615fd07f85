"""MQTT transport throughput: QoS 1 PUBLISH → on_publish → PUBACK, end to end over loopback.

The server (one uvloop event loop, a no-op application) runs in this process; the load
comes from a separate process with raw sockets that keep a window of unacknowledged
publishes per connection, as a device within its Receive Maximum would. Prints numbers
only; nothing is asserted.

    .venv/bin/python bench/mqtt_publish.py [connections] [publishes per connection] [window]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from tempfile import mkdtemp

import uvloop

from industryos.transport.mqtt import (
    ACCEPTED,
    Accepted,
    AuthResult,
    Connect,
    MqttConfig,
    MqttServer,
    PeerCertificate,
    ProtocolLevel,
    Publish,
    PublishResult,
    Session,
    Subscription,
)
from industryos.transport.mqtt.codec import StreamDecoder, encode

PAYLOAD = b'{"temperature":21.5,"humidity":48,"status":"ok"}'


class NullApp:
    """Accepts everyone and every publish; counts publishes."""

    def __init__(self) -> None:
        self.count = 0

    async def authenticate(self, connect: Connect, cert: PeerCertificate | None) -> AuthResult[str]:
        return Accepted(connect.client_id, session_key=connect.client_id)

    async def on_connect(self, session: Session[str]) -> None:
        return None

    async def on_publish(self, session: Session[str], publish: Publish) -> PublishResult:
        self.count += 1
        return ACCEPTED

    async def on_subscribe(self, session: Session[str], subs: list[Subscription]) -> Sequence[int]:
        return [s.qos for s in subs]

    async def on_unsubscribe(self, session: Session[str], filters: list[str]) -> Sequence[int]:
        return [0 for _ in filters]

    async def on_disconnect(self, session: Session[str], reason: object) -> None:
        return None


def device(port: int, index: int, count: int, window: int, v5: bool) -> None:
    """One device: CONNECT, then ``count`` QoS 1 publishes with ``window`` in flight."""
    level = ProtocolLevel.MQTT_5 if v5 else ProtocolLevel.MQTT_3_1_1
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(encode(Connect(f"dev-{index}", level, username="t"), v5))
    decoder = StreamDecoder(server=False)
    decoder.v5 = v5
    acked, sent = -1, 0  # -1: the CONNACK counts as the first answer
    while acked < count:
        burst = []
        while sent < count and sent - max(acked, 0) < window:
            sent += 1
            burst.append(
                encode(
                    Publish(
                        "v1/devices/me/telemetry", PAYLOAD, 1, packet_id=(sent - 1) % 65535 + 1
                    ),
                    v5,
                )
            )
        if burst:
            sock.sendall(b"".join(burst))
        acked += sum(1 for _ in decoder.feed(sock.recv(65536)))
    sock.close()


def load(port: int, connections: int, count: int, window: int, v5: bool) -> None:
    procs = [
        multiprocessing.Process(target=device, args=(port, i, count, window, v5))
        for i in range(connections)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()


async def run(connections: int, count: int, window: int, v5: bool) -> None:
    app = NullApp()
    config = MqttConfig(host="127.0.0.1", port=0, tls_port=None, data_dir=Path(mkdtemp()))
    server: MqttServer[str] = MqttServer(config, app)
    await server.start()
    assert server.port is not None
    started = time.perf_counter()
    loader = multiprocessing.Process(
        target=load, args=(server.port, connections, count, window, v5)
    )
    loader.start()
    await asyncio.to_thread(loader.join)
    elapsed = time.perf_counter() - started
    await server.close()
    total = connections * count
    assert app.count == total, (app.count, total)
    version = "5" if v5 else "3.1.1"
    print(
        f"MQTT {version}: {connections} connections x {count} QoS 1 publishes, window {window}: "
        f"{total / elapsed:,.0f} PUBLISH/s acknowledged ({elapsed:.2f} s)"
    )


def main(argv: list[str]) -> None:
    connections = int(argv[1]) if len(argv) > 1 else 20
    count = int(argv[2]) if len(argv) > 2 else 5000
    window = int(argv[3]) if len(argv) > 3 else 100
    for v5 in (False, True):
        uvloop.run(run(connections, count, window, v5))


if __name__ == "__main__":
    main(sys.argv)
