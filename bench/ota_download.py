"""OTA download throughput over MQTT and HTTP, and the node's RSS while 10 devices download.

    .venv/bin/python bench/ota_download.py [--size-mib 100] [--devices 10] [--chunk 65536]

Starts a fresh node (``bench/_common.py``), uploads one firmware package of ``--size-mib``
MiB through REST (streamed multipart) and assigns it to ``--devices`` devices. Then:

1. MQTT, one device: chunks of ``--chunk`` bytes requested one after another on
   ``v2/fw/request/{id}/chunk/{n}`` (as the SDK does), each awaited before the next;
2. MQTT, all devices at once, the same way, each on its own connection;
3. HTTP, one device: ``GET /api/v1/{token}/firmware`` in ``--chunk`` pieces, then the
   whole image in one streamed response;
4. HTTP, all devices at once, whole image each.

Prints MiB/s for each (aggregate for the concurrent runs), the node's peak RSS sampled
every 100 ms during each run, and the machine's load (the cores are shared).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
from _common import NodeProcess, Rest, load, result_line, rss_mib
from paho.mqtt.enums import CallbackAPIVersion

MIB = 1024 * 1024


class PeakRss:
    """Samples the node's RSS in a thread while a run lasts."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self._pid))
            self._stop.wait(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def mqtt_download(port: int, token: str, size: int, chunk: int, nodelay: bool = True) -> str:
    """Download the whole image chunk by chunk; its SHA256."""
    done = threading.Event()
    received: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(token)

    def on_message(_c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        received.append(message.payload)
        done.set()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    # paho leaves Nagle on: a request written right after the PUBACK of the previous chunk
    # would wait for the node's delayed ACK (~40 ms a chunk), measuring TCP, not the node.
    sock = client.socket()
    if nodelay and isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.loop_start()
    digest = hashlib.sha256()
    try:
        for index in range((size + chunk - 1) // chunk):
            done.clear()
            client.publish(f"v2/fw/request/1/chunk/{index}", str(chunk).encode(), qos=1)
            if not done.wait(30):
                raise RuntimeError(f"chunk {index} did not come")
            digest.update(received.pop())
    finally:
        client.disconnect()
        client.loop_stop()
    return digest.hexdigest()


async def http_download(base: str, token: str, version: str, size: int, chunk: int) -> str:
    """Download in ``chunk`` pieces (0: one streamed response); its SHA256."""
    digest = hashlib.sha256()
    params = {"title": "bench-fw", "version": version}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        url = f"/api/v1/{token}/firmware"
        if chunk == 0:
            async with client.stream("GET", url, params=params) as response:
                async for block in response.aiter_bytes():
                    digest.update(block)
            return digest.hexdigest()
        for index in range((size + chunk - 1) // chunk):
            response = await client.get(url, params={**params, "size": chunk, "chunk": index})
            digest.update(response.content)
    return digest.hexdigest()


def timed(run: Callable[[], list[str]], expected: str, pid: int) -> tuple[float, float]:
    """Seconds and peak RSS of ``run``; every download must match the checksum."""
    with PeakRss(pid) as rss:
        started = time.perf_counter()
        digests = run()
        elapsed = time.perf_counter() - started
    if any(d != expected for d in digests):
        raise RuntimeError("a download did not match the package checksum")
    return elapsed, rss.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--chunk", type=int, default=65536)
    args = parser.parse_args()
    size = args.size_mib * MIB
    node = NodeProcess().start()
    with tempfile.TemporaryDirectory(prefix="ota-bench-") as tmp:
        try:
            node.wait_ready()
            rest = Rest(node.base)
            image = Path(tmp) / "fw.bin"
            with image.open("wb") as out:
                for _ in range(args.size_mib):
                    out.write(os.urandom(MIB))
            expected = hashlib.sha256(image.read_bytes()).hexdigest()
            version = f"v{int(time.time())}"
            headers = rest.headers
            with httpx.Client(base_url=node.base, headers=headers, timeout=600) as client:
                profile = client.get("/api/deviceProfileInfo/default").json()["id"]["id"]
                package = client.post(
                    "/api/otaPackage",
                    json={
                        "title": "bench-fw",
                        "version": version,
                        "type": "FIRMWARE",
                        "deviceProfileId": {"id": profile},
                    },
                ).json()
                started = time.perf_counter()
                with image.open("rb") as handle:
                    stored = client.post(
                        f"/api/otaPackage/{package['id']['id']}",
                        params={"checksumAlgorithm": "SHA256"},
                        files={"file": ("fw.bin", handle, "application/octet-stream")},
                    )
                upload_s = time.perf_counter() - started
                stored.raise_for_status()
                tokens = [f"ota-bench-{i}" for i in range(args.devices)]
                for token in tokens:
                    client.post(
                        "/api/device",
                        params={"accessToken": token},
                        json={"name": token, "firmwareId": {"id": package["id"]["id"]}},
                    ).raise_for_status()
            print(
                f"package {args.size_mib} MiB uploaded in {upload_s:.1f} s "
                f"({args.size_mib / upload_s:.0f} MiB/s); chunk {args.chunk} B; {load()}"
            )
            pid, port, n = node.pid, node.mqtt_port, args.devices
            figures: dict[str, float] = {}

            def report(name: str, mib: float, seconds: float, peak: float) -> None:
                figures[f"{name}_mib_s"] = round(mib / seconds, 1)
                figures[f"{name}_peak_rss_mib"] = round(peak)
                print(
                    f"{name}: {mib:.0f} MiB in {seconds:.1f} s = {mib / seconds:.1f} MiB/s, "
                    f"node peak RSS {peak:.0f} MiB, {load()}"
                )

            seconds, peak = timed(
                lambda: [mqtt_download(port, tokens[0], size, args.chunk)], expected, pid
            )
            report("mqtt_1_device", args.size_mib, seconds, peak)
            small = max(1, args.size_mib // 10)
            seconds, peak = timed(
                lambda: [mqtt_download(port, tokens[0], small * MIB, args.chunk, nodelay=False)],
                hashlib.sha256(image.read_bytes()[: small * MIB]).hexdigest(),
                pid,
            )
            report("mqtt_1_device_paho_nagle_on", small, seconds, peak)

            def mqtt_all() -> list[str]:
                results: list[str] = [""] * n
                threads = [
                    threading.Thread(
                        target=lambda i=i: results.__setitem__(
                            i, mqtt_download(port, tokens[i], size, args.chunk)
                        )
                    )
                    for i in range(n)
                ]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                return results

            seconds, peak = timed(mqtt_all, expected, pid)
            report(f"mqtt_{n}_devices", args.size_mib * n, seconds, peak)

            def http_one(chunk: int) -> list[str]:
                return [asyncio.run(http_download(node.base, tokens[0], version, size, chunk))]

            seconds, peak = timed(lambda: http_one(args.chunk), expected, pid)
            report("http_1_device_chunked", args.size_mib, seconds, peak)
            seconds, peak = timed(lambda: http_one(0), expected, pid)
            report("http_1_device_whole", args.size_mib, seconds, peak)

            async def http_all() -> list[str]:
                return list(
                    await asyncio.gather(
                        *(http_download(node.base, t, version, size, 0) for t in tokens)
                    )
                )

            seconds, peak = timed(lambda: asyncio.run(http_all()), expected, pid)
            report(f"http_{n}_devices_whole", args.size_mib * n, seconds, peak)
            result_line("ota_download", size_mib=args.size_mib, chunk=args.chunk, **figures)
        finally:
            node.cleanup()


if __name__ == "__main__":
    main()
