"""One MQTT device publishing QoS 1 telemetry as fast as it can, against a real node.

    .venv/bin/python bench/device_publish.py [--seconds 10] [--window 1 64] [--db URL]

Starts ``industryos run`` in its own process (embedded mode, fresh data dir, free ports),
creates a device through the REST API, and drives it from this process with a minimal
asyncio MQTT 5 client (the project's own codec) keeping ``window`` publishes in flight.
Prints msg/s, PUBACK latency p50/p99, and the queue's group commits and fsyncs per second
over the measured window (read from the node through SIGUSR1, see ``_stats_node.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import Connack, Connect, Puback, Publish

PAYLOAD = b'[{"temperature": 21.5, "humidity": 40, "pressure": 1013.2}]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StatsNode:
    """The node process and a way to read its queue counters."""

    def __init__(self, data_dir: str, db_url: str | None) -> None:
        self.http_port, self.mqtt_port = free_port(), free_port()
        env = {
            **os.environ,
            "INDUSTRYOS_DATA_DIR": data_dir,
            "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
            "INDUSTRYOS_HTTP_PORT": str(self.http_port),
            "INDUSTRYOS_MQTT_PORT": str(self.mqtt_port),
            "INDUSTRYOS_MQTT_TLS_PORT": str(free_port()),
            "INDUSTRYOS_COAP_PORT": str(free_port()),
            "INDUSTRYOS_LOG_LEVEL": "WARNING",
        }
        if db_url:
            env["INDUSTRYOS_DB_URL"] = db_url
        script = Path(__file__).with_name("_stats_node.py")
        self.process = subprocess.Popen(
            [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.http_port}/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("node did not become ready")

    def stats(self) -> dict[str, Any]:
        self.process.send_signal(signal.SIGUSR1)
        assert self.process.stdout is not None
        return dict(json.loads(self.process.stdout.readline()))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def create_device(http_port: int, name: str) -> str:
    base = f"http://127.0.0.1:{http_port}"
    token = httpx.post(
        f"{base}/api/auth/login",
        json={"username": "tenant@industryos.local", "password": "tenant"},
    ).json()["token"]
    headers = {"X-Authorization": f"Bearer {token}"}
    device = httpx.post(f"{base}/api/device", json={"name": name}, headers=headers).json()
    credentials = httpx.get(
        f"{base}/api/device/{device['id']['id']}/credentials", headers=headers
    ).json()
    return str(credentials["credentialsId"])


async def drive(port: int, token: str, window: int, seconds: float) -> tuple[int, list[float]]:
    """Publish with ``window`` in flight for ``seconds``; (acked count, latencies in ms)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    decoder = StreamDecoder(server=False)
    decoder.v5 = True
    writer.write(encode(Connect("", ProtocolLevel.MQTT_5, username=token), True))
    sent: dict[int, float] = {}
    latencies: list[float] = []
    next_id = 1
    connected = False
    deadline = 0.0

    def send_one() -> None:
        nonlocal next_id
        packet_id = next_id
        next_id = next_id % 65535 + 1
        sent[packet_id] = time.perf_counter()
        writer.write(
            encode(Publish("v1/devices/me/telemetry", PAYLOAD, 1, packet_id=packet_id), True)
        )

    while True:
        data = await reader.read(65536)
        if not data:
            raise RuntimeError("node closed the connection")
        now = time.perf_counter()
        for packet in decoder.feed(data):
            if isinstance(packet, Connack):
                assert packet.reason_code == 0, packet
                connected, deadline = True, now + seconds
                for _ in range(window):
                    send_one()
            elif isinstance(packet, Puback):
                started = sent.pop(packet.packet_id)
                if packet.reason_code != 0:
                    raise RuntimeError(f"PUBACK reason {packet.reason_code:#x}")
                latencies.append((now - started) * 1000)
                if now < deadline:
                    send_one()
        if connected and now >= deadline and not sent:
            writer.close()
            return len(latencies), latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--window", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--db", default=None, help="postgresql://… (default: embedded SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        node = StatsNode(data_dir, args.db)
        try:
            node.wait_ready()
            for window in args.window:
                token = create_device(node.http_port, f"bench-{window}-{time.time_ns()}")
                before = node.stats()
                started = time.perf_counter()
                count, latencies = asyncio.run(drive(node.mqtt_port, token, window, args.seconds))
                elapsed = time.perf_counter() - started
                after = node.stats()
                commits = after["commits"] - before["commits"]
                fsyncs = after["fsyncs"] - before["fsyncs"]
                print(
                    f"window {window:3d}: {count / elapsed:8.0f} msg/s ({3 * count / elapsed:.0f}"
                    f" dp/s), PUBACK p50 {statistics.median(latencies):.2f} ms"
                    f" p99 {percentile(latencies, 0.99):.2f} ms;"
                    f" {commits / elapsed:.0f} group commits/s, {fsyncs / elapsed:.0f} fsyncs/s,"
                    f" {count / max(commits, 1):.1f} msgs per commit"
                )
        finally:
            node.stop()


if __name__ == "__main__":
    main()
