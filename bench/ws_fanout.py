"""WebSocket fan-out: device telemetry over MQTT to many live dashboard sessions.

    .venv/bin/python bench/ws_fanout.py [--sessions 1000] [--per-session 10] [--devices 1000]
                                        [--rate 2000] [--seconds 15] [--warmup 5] [--db URL]

Starts a node in its own process (embedded mode, fresh data dir, free ports), creates
``--devices`` devices through the REST API, opens ``--sessions`` WebSocket sessions on
``/api/ws`` (in a separate client process), each subscribed with TIMESERIES commands to
``--per-session`` devices (chosen round-robin, so each device has sessions * per-session /
devices subscribers), then a load-generator process publishes QoS 1 telemetry at
``--rate`` msg/s in total, spread over one MQTT connection per device. Each payload carries
the device's wall-clock send time (µs); each WebSocket update is timed on receipt.

Prints, over the measured window (after ``--warmup`` s): publishes acknowledged per second,
WebSocket updates delivered per second (against the expected fan-out), device-to-WebSocket
latency p50/p99, and sessions the node dropped as too slow. Numbers only; nothing asserted.
The three processes share the machine's cores; clients disable permessage-deflate so
the figure is the node's fan-out, not zlib's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop
from websockets.asyncio.client import connect

from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import Connack, Connect, Puback, Publish

KEY = "sent_us"
OPENING = 20
"""Sessions subscribing at once (dashboards open over time, not all in one instant)."""
TOPIC = "v1/devices/me/telemetry"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def now_us() -> int:
    return time.time_ns() // 1000


class NodeProcess:
    """``bench/_stats_node.py`` (a node that runs until SIGTERM) on free ports."""

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
            [sys.executable, str(script)], env=env, stdout=subprocess.DEVNULL
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.http_port}/api/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("node did not become ready")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print("node did not stop within 60 s: killed", file=sys.stderr)
            self.process.kill()
            self.process.wait()


async def create_devices(http_port: int, count: int) -> tuple[str, list[tuple[str, str]]]:
    """(tenant JWT, [(device id, access token)]) for ``count`` new devices."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=60) as client:
        login = await client.post(
            "/api/auth/login", json={"username": "tenant@industryos.local", "password": "tenant"}
        )
        token = str(login.json()["token"])
        client.headers["X-Authorization"] = f"Bearer {token}"
        run = time.time_ns()
        gate = asyncio.Semaphore(16)

        async def one(n: int) -> tuple[str, str]:
            async with gate:
                body = {"name": f"fanout-{run}-{n}"}
                response = await client.post("/api/device", json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"device not created: {response.text}")
                device = response.json()
                device_id = str(device["id"]["id"])
                creds = (await client.get(f"/api/device/{device_id}/credentials")).json()
                return device_id, str(creds["credentialsId"])

        return token, list(await asyncio.gather(*(one(n) for n in range(count))))


# The load generator (its own process).


async def _publisher(
    port: int, tokens: list[str], rate: float, start: float, end: float
) -> tuple[int, int]:
    """Publish ``rate`` msg/s round-robin over one connection per token until ``end``."""
    connections = []
    acked = 0

    async def open_one(token: str) -> Any:
        nonlocal acked
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        decoder = StreamDecoder(server=False)
        decoder.v5 = True
        writer.write(encode(Connect("", ProtocolLevel.MQTT_5, username=token), True))
        connected = asyncio.get_running_loop().create_future()

        async def read() -> None:
            nonlocal acked
            while data := await reader.read(65536):
                for packet in decoder.feed(data):
                    if isinstance(packet, Connack):
                        connected.set_result(packet.reason_code)
                    elif isinstance(packet, Puback):
                        acked += 1

        task = asyncio.create_task(read())
        code = await connected
        if code != 0:
            raise RuntimeError(f"CONNACK {code:#x}")
        return writer, task

    gate = asyncio.Semaphore(50)

    async def gated(token: str) -> Any:
        async with gate:
            return await open_one(token)

    connections = await asyncio.gather(*(gated(t) for t in tokens))
    await asyncio.sleep(max(0.0, start - time.time()))
    sent = 0
    next_id = 1
    began = time.monotonic()
    while time.time() < end:
        due = int((time.monotonic() - began) * rate)
        while sent < due:
            writer, _ = connections[sent % len(connections)]
            payload = b'{"%s":%d}' % (KEY.encode(), now_us())
            writer.write(encode(Publish(TOPIC, payload, 1, packet_id=next_id), True))
            next_id = next_id % 65535 + 1
            sent += 1
        await asyncio.sleep(0.002)
    await asyncio.sleep(1.0)
    for writer, task in connections:
        writer.close()
        task.cancel()
    return sent, acked


def load_generator(
    port: int, tokens: list[str], rate: float, start: float, end: float, out: Any
) -> None:
    out.put(uvloop.run(_publisher(port, tokens, rate, start, end)))


# The dashboard sessions (their own process).


async def _sessions(
    url: str, token: str, plans: list[list[str]], ready: Any, window: Any, out: Any
) -> None:
    latencies: list[float] = []
    counted = 0
    dropped = 0
    subscribed = 0
    failed = 0
    opening = asyncio.Semaphore(OPENING)
    bounds = [float("inf"), float("-inf")]
    stop = asyncio.Event()
    settled = asyncio.Event()

    def settle() -> None:
        if subscribed + failed == len(plans):
            settled.set()

    async def session(devices: list[str]) -> None:
        nonlocal counted, dropped, subscribed, failed
        cmds = [
            {
                "type": "TIMESERIES",
                "cmdId": n + 1,
                "entityType": "DEVICE",
                "entityId": d,
                "keys": KEY,
            }
            for n, d in enumerate(devices)
        ]
        await opening.acquire()
        try:
            ws = await connect(url, compression=None, max_queue=None, open_timeout=120)
            await ws.send(orjson.dumps({"authCmd": {"cmdId": 0, "token": token}, "cmds": cmds}))
            for _ in cmds:
                reply = orjson.loads(await ws.recv())  # the (empty) snapshots: subscribed
                if reply["errorCode"] != 0:
                    raise RuntimeError(reply["errorMsg"])
        except Exception as exc:
            failed += 1
            print(f"session not subscribed: {exc!r}", file=sys.stderr)
            settle()
            return
        finally:
            opening.release()
        subscribed += 1
        settle()
        async with ws:
            receive = ws.recv
            try:
                while not stop.is_set():
                    message = await receive()
                    received = now_us()
                    if bounds[0] * 1e6 <= received < bounds[1] * 1e6:
                        for _, value in orjson.loads(message)["data"][KEY]:
                            latencies.append((received - int(value)) / 1000)
                            counted += 1
            except Exception:
                if not stop.is_set():
                    dropped += 1

    tasks = [asyncio.create_task(session(plan)) for plan in plans]
    await settled.wait()
    ready.put((subscribed, failed))
    start, end = await asyncio.get_running_loop().run_in_executor(None, window.get)
    bounds[0], bounds[1] = start, end
    await asyncio.sleep(max(0.0, end + 1.0 - time.time()))
    stop.set()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.put((counted, dropped, latencies))


def ws_clients(
    url: str, token: str, plans: list[list[str]], ready: Any, window: Any, out: Any
) -> None:
    uvloop.run(_sessions(url, token, plans, ready, window, out))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--per-session", type=int, default=10)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2000.0, help="publishes per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--db", default=None, help="postgresql://… (default: embedded SQLite)")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as data_dir:
        node = NodeProcess(data_dir, args.db)
        try:
            node.wait_ready()
            jwt, devices = asyncio.run(create_devices(node.http_port, args.devices))
            ids = [device_id for device_id, _ in devices]
            plans = [
                [ids[(s * args.per_session + k) % len(ids)] for k in range(args.per_session)]
                for s in range(args.sessions)
            ]
            ready, window, client_out, load_out = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Queue()
            url = f"ws://127.0.0.1:{node.http_port}/api/ws"
            clients = ctx.Process(
                target=ws_clients, args=(url, jwt, plans, ready, window, client_out)
            )
            clients.start()
            opened, failed = ready.get(timeout=900)
            start = time.time() + 3.0 + args.warmup
            end = start + args.seconds
            window.put((start, end))
            tokens = [token for _, token in devices]
            load = ctx.Process(
                target=load_generator,
                args=(node.mqtt_port, tokens, args.rate, start - args.warmup, end, load_out),
            )
            load.start()
            sent, acked = load_out.get(timeout=600)
            counted, dropped, latencies = client_out.get(timeout=600)
            load.join()
            clients.join()
        finally:
            node.stop()
    fanout = args.sessions * args.per_session / args.devices
    print(
        f"sessions {opened} x {args.per_session} devices ({failed} failed to subscribe;"
        f" {args.devices} devices, fan-out {fanout:.0f});"
        f" publishing {args.rate:.0f} msg/s QoS 1 for {args.warmup:.0f}+"
        f"{args.seconds:.0f} s: {sent} sent, {acked} acked"
    )
    expected = args.rate * fanout
    if latencies:
        print(
            f"delivered {counted / args.seconds:.0f} WS updates/s (expected {expected:.0f}),"
            f" device-to-WebSocket latency p50 {percentile(latencies, 0.5):.1f} ms"
            f" p99 {percentile(latencies, 0.99):.1f} ms; sessions dropped: {dropped}"
        )
    else:
        print(f"delivered 0 WS updates (expected {expected:.0f}/s); sessions dropped: {dropped}")


if __name__ == "__main__":
    main()
