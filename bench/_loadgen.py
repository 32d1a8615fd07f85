"""The MQTT load generator: many device connections per process, cheap enough not to limit.

Each process runs one uvloop event loop with one ``asyncio.Protocol`` per device (MQTT
3.1.1, raw bytes: packets are built with ``%`` formatting and a fixed header, PUBACKs
are read as 4-byte frames). A device keeps exactly one QoS 1 PUBLISH in flight: the next
one goes out when the PUBACK arrives (or when its slot in the target rate comes, if
later). At a target rate each device has its own phase in the period: device k of N first
publishes k/N of a period after the start, so the fleet's messages are spread evenly over
time as those of devices switched on at different moments are (``synchronized=True``
starts them all at once and keeps them in step: a fleet that reports on the minute, a
burst of N messages every period). Messages are ThingsBoard telemetry with three data
points and an explicit, strictly increasing ``ts`` (the send time in ms, bumped by one if
needed), so the storage check and the WebSocket latency can tell messages apart.

The parent sets a shared start time; every process measures the same window and reports
(acks in window, PUBACK latencies in ms, per-device acknowledged counts, errors).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.sharedctypes import Synchronized
from typing import Any

TOPIC = b"v1/devices/me/telemetry"
PINGREQ = b"\xc0\x00"
HANDSHAKES = 256
"""Connection handshakes in flight at once (by default) while a fleet of idle devices
connects."""
IDLE_PING_S = 30.0
"""How often a held idle connection pings (its CONNECT asks for a 60 s keep-alive)."""
_TOPIC_FIELD = struct.pack("!H", len(TOPIC)) + TOPIC


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def _string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def connect_packet(client_id: str, username: str, keep_alive: int = 60) -> bytes:
    """An MQTT 3.1.1 CONNECT with a username and a clean session."""
    body = (
        _string(b"MQTT")
        + bytes([4, 0x82])
        + struct.pack("!H", keep_alive)
        + _string(client_id.encode())
        + _string(username.encode())
    )
    return b"\x10" + _remaining_length(len(body)) + body


def publish_packet(packet_id: int, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH to the telemetry topic."""
    body_len = len(_TOPIC_FIELD) + 2 + len(payload)
    return (
        b"\x32"
        + _remaining_length(body_len)
        + _TOPIC_FIELD
        + struct.pack("!H", packet_id)
        + payload
    )


@dataclass
class Window:
    """The shared timeline (wall clock, seconds): measure ``[start, end)``, stop at ``end``."""

    start: float
    end: float


@dataclass
class Report:
    """What one generator process measured."""

    acked_in_window: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    connected: int = 0


class Device(asyncio.Protocol):
    """One device connection publishing telemetry with one message in flight."""

    def __init__(self, gen: Generator, name: str) -> None:
        self.gen = gen
        self.name = name
        self.transport: Any = None
        self.connected = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.packet_id = 0
        self.seq = 0
        self.acked = 0
        self.last_ts = 0
        self.sent_at = 0.0
        self.in_flight = False
        self.next_due = 0.0
        self.lost = False
        self.pinger: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(connect_packet(self.name, self.name))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.pinger is not None:
            self.pinger.cancel()
        if not self.connected.done():
            self.connected.set_exception(
                ConnectionError(f"{self.name}: closed before CONNACK ({exc!r})")
            )
        elif not self.gen.closing:
            self.lost = True
            self.gen.report.errors += 1
            self.gen.maybe_done()

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        offset, size = 0, len(buffer)
        while offset < size:
            kind = buffer[offset]
            length = 2 if kind == 0xD0 else 4  # PINGRESP is the only 2-byte packet here
            if offset + length > size:
                break
            if length == 2:
                offset += 2
                continue
            if kind == 0x40:
                self.on_puback(buffer[offset + 2] << 8 | buffer[offset + 3])
            elif kind == 0x20:
                if buffer[offset + 3] != 0:
                    self.connected.set_exception(
                        ConnectionError(f"{self.name}: CONNACK {buffer[offset + 3]}")
                    )
                else:
                    self.connected.set_result(None)
            else:
                raise RuntimeError(f"{self.name}: unexpected packet 0x{kind:02x}")
            offset += 4
        self.buffer = buffer[offset:]

    def ping_every(self, period: float) -> None:
        """A PINGREQ every ``period`` seconds from now on: an idle connection outlives the
        server's keep-alive check (one and a half times the CONNECT's 60 s)."""
        self.pinger = self.gen.loop.call_later(period, self._ping, period)

    def _ping(self, period: float) -> None:
        self.transport.write(PINGREQ)
        self.ping_every(period)

    def send(self) -> None:
        """Publish the next message now."""
        assert self.transport is not None
        ts = max(int(time.time() * 1000), self.last_ts + 1)
        self.last_ts = ts
        self.packet_id = self.packet_id % 65535 + 1
        seq = self.seq
        self.seq += 1
        payload = b'{"ts":%d,"values":{"temperature":%d.5,"humidity":%d,"seq":%d}}' % (
            ts,
            20 + seq % 10,
            40 + seq % 7,
            seq,
        )
        self.in_flight = True
        self.sent_at = time.time()
        self.transport.write(publish_packet(self.packet_id, payload))

    def on_puback(self, packet_id: int) -> None:
        if packet_id != self.packet_id or not self.in_flight:
            self.gen.report.errors += 1
            return
        now = time.time()
        self.in_flight = False
        self.acked += 1
        gen = self.gen
        window = gen.window
        if window.start <= now < window.end:
            gen.report.acked_in_window += 1
            gen.report.latencies_ms.append((now - self.sent_at) * 1000)
        if now >= window.end:
            gen.maybe_done()
            return
        gen.schedule(self, now)


class Generator:
    """All devices of one process."""

    def __init__(
        self, names: list[str], interval: float, phases: list[float] | None = None
    ) -> None:
        self.names = names
        self.interval = interval
        self.phases = phases or [0.0] * len(names)
        """Per device, seconds after the start of its first message (all 0: together)."""
        self.devices: list[Device] = []
        self.report = Report()
        self.window = Window(float("inf"), float("inf"))
        self.closing = False
        self.ping_period = 0.0
        """Seconds between a connected device's PINGREQs; 0: none (it publishes instead)."""
        self.handshakes_ms: list[float] = []
        """Per connection made, ms from the TCP connect to the CONNACK."""
        self.loop = asyncio.get_running_loop()
        self.done = self.loop.create_future()

    def schedule(self, device: Device, now: float) -> None:
        """Send now, or at the device's next slot under the target rate."""
        if not self.interval:
            device.send()
            return
        device.next_due = max(device.next_due + self.interval, now)
        delay = device.next_due - now
        if delay <= 0.0005:
            device.send()
        else:
            self.loop.call_later(delay, self._send_if_running, device)

    def _send_if_running(self, device: Device) -> None:
        if time.time() < self.window.end and not device.lost:
            device.send()
        else:
            self.maybe_done()

    def maybe_done(self) -> None:
        """Resolve ``done`` once no device has a message in flight after the window."""
        if self.done.done() or time.time() < self.window.end:
            return
        if not any(d.in_flight and not d.lost for d in self.devices):
            self.done.set_result(None)

    async def connect(self, host: str, port: int, sources: list[str], parallel: int) -> None:
        """Open every device's connection (``parallel`` handshakes at once)."""
        gate = asyncio.Semaphore(parallel)

        async def one(index: int, name: str) -> None:
            async with gate:
                source = sources[index % len(sources)] if sources else None
                device = Device(self, name)
                sock = socket.socket()
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if source:
                    sock.bind((source, 0))
                sock.setblocking(False)
                started = time.monotonic()
                await self.loop.sock_connect(sock, (host, port))
                await self.loop.create_connection(lambda: device, sock=sock)
                await asyncio.wait_for(device.connected, 30)
                self.handshakes_ms.append((time.monotonic() - started) * 1000)
                devices[index] = device
                if self.ping_period:
                    device.ping_every(self.ping_period)

        devices: list[Device | None] = [None] * len(self.names)
        await asyncio.gather(*(one(i, name) for i, name in enumerate(self.names)))
        self.devices = [d for d in devices if d is not None]
        self.report.connected = len(self.devices)

    async def run(self, begin: float, window: Window) -> None:
        """Start publishing at ``begin``; measure ``window``; stop sending at its end."""
        self.window = window
        await asyncio.sleep(max(0.0, begin - time.time()))
        now = time.time()
        for device, phase in zip(self.devices, self.phases, strict=True):
            device.next_due = begin + phase
            if device.next_due <= now:
                device.send()
            else:
                self.loop.call_later(device.next_due - now, self._send_if_running, device)
        remaining = window.end - time.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
        self.maybe_done()
        try:
            await asyncio.wait_for(asyncio.shield(self.done), 30)
        except TimeoutError:
            self.report.errors += sum(1 for d in self.devices if d.in_flight)
        self.closing = True
        for device in self.devices:
            self.report.acked[device.name] = device.acked
            if device.transport is not None:
                device.transport.close()


def _process_main(
    names: list[str],
    host: str,
    port: int,
    interval: float,
    phases: list[float],
    sources: list[str],
    ready: Any,
    go: Any,
    timeline: Synchronized,  # type: ignore[type-arg]
    warmup: float,
    seconds: float,
    results: Any,
) -> None:
    import uvloop

    async def main() -> None:
        gen = Generator(names, interval, phases)
        await gen.connect(host, port, sources, 256)
        ready.put(len(gen.devices))
        await asyncio.get_running_loop().run_in_executor(None, go.wait)
        begin = float(timeline.value)
        await gen.run(begin, Window(begin + warmup, begin + warmup + seconds))
        results.put(gen.report)

    try:
        uvloop.run(main())
    except BaseException as exc:
        ready.put(exc)
        raise


def _hold_main(
    names: list[str],
    host: str,
    port: int,
    sources: list[str],
    parallel: int,
    ready: Any,
    release: Any,
) -> None:
    import uvloop

    async def main() -> None:
        gen = Generator(names, 0.0)
        gen.ping_period = IDLE_PING_S
        began = time.time()
        await gen.connect(host, port, sources, parallel)
        ready.put((len(gen.devices), began, time.time(), gen.handshakes_ms))
        await asyncio.get_running_loop().run_in_executor(None, release.wait)
        dropped = sum(device.lost for device in gen.devices)
        gen.closing = True
        for device in gen.devices:
            device.transport.close()
        await asyncio.sleep(0.5)
        ready.put(dropped)

    try:
        uvloop.run(main())
    except BaseException as exc:
        ready.put(exc)
        raise


@dataclass
class Held:
    """What holding idle connections found: how long connecting took (in all, and each
    connection's TCP connect to CONNACK, sorted), how many the server closed while they
    were held, and what was measured meanwhile."""

    connect_s: float
    handshakes_ms: list[float]
    dropped: int
    measured: Any


def hold_connections(
    host: str,
    port: int,
    names: list[str],
    *,
    sources: list[str],
    processes: int,
    while_held: Callable[[], Any],
    handshakes: int = HANDSHAKES,
) -> Held:
    """Connect ``names`` as idle devices from ``processes`` processes (keeping them open with
    PINGREQs), run ``while_held()`` once all are connected, then close them.

    Several processes let one run hold more connections than one process's open-file limit;
    the connect time runs from the first process's first CONNECT to the last one's CONNACK.
    There are ``handshakes`` handshakes in flight at once in all, however many processes.
    """
    parallel = max(1, handshakes // processes)
    ctx = mp.get_context("spawn")
    ready, release = ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(
            target=_hold_main,
            args=(names[i::processes], host, port, sources, parallel, ready, release),
            daemon=True,
        )
        for i in range(processes)
        if names[i::processes]
    ]
    for proc in procs:
        proc.start()
    try:
        connected, began, ended, handshakes_ms = 0, [], [], []
        for _ in procs:
            got = ready.get(timeout=1800)
            if isinstance(got, BaseException):
                raise RuntimeError("a connection holder failed to connect") from got
            count, first, last, times = got
            connected += count
            began.append(first)
            ended.append(last)
            handshakes_ms.extend(times)
        if connected != len(names):
            raise RuntimeError(f"connected {connected} of {len(names)}")
        connect_s = max(ended) - min(began)
        handshakes_ms.sort()
        measured = while_held()
    finally:
        release.set()
    dropped = 0
    for _ in procs:
        got = ready.get(timeout=120)
        if isinstance(got, BaseException):
            raise RuntimeError("a connection holder failed") from got
        dropped += got
    for proc in procs:
        proc.join(10)
    return Held(connect_s, handshakes_ms, dropped, measured)


@dataclass
class LoadResult:
    """All processes' reports merged, over a window of ``seconds``."""

    seconds: float
    acked_in_window: int
    latencies_ms: list[float]
    acked: dict[str, int]
    errors: int

    @property
    def rate(self) -> float:
        """Acknowledged messages per second in the window."""
        return self.acked_in_window / self.seconds


def run_load(
    host: str,
    port: int,
    names: list[str],
    *,
    rate: float,
    warmup: float,
    seconds: float,
    processes: int,
    sources: list[str] | None = None,
    on_window: Any = None,
    synchronized: bool = False,
) -> LoadResult:
    """Drive ``names`` from ``processes`` processes; ``rate`` 0 means as fast as possible.

    At a target rate the devices' phases are spread over the period, unless
    ``synchronized`` (all in step: a burst of every device each period).

    ``on_window(start, end)`` runs in this process once the (wall clock) window is known,
    before any message is sent; it may block until the window ends.
    """
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    timeline = ctx.Value("d", 0.0)
    interval = len(names) / rate if rate > 0 else 0.0
    slices = [names[i::processes] for i in range(processes)]
    spread = 0.0 if synchronized else interval / len(names)
    procs = [
        ctx.Process(
            target=_process_main,
            args=(
                part,
                host,
                port,
                interval,
                [(k * processes + p) * spread for k in range(len(part))],  # global index
                sources or [],
                ready,
                go,
                timeline,
                warmup,
                seconds,
            ),
            kwargs={"results": results},
            daemon=True,
        )
        for p, part in enumerate(slices)
        if part
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        got = ready.get(timeout=600)
        if isinstance(got, BaseException):
            raise RuntimeError("load generator failed to connect") from got
    start = time.time() + 0.2
    timeline.value = start
    go.set()
    if on_window is not None:
        on_window(start + warmup, start + warmup + seconds)
    reports: list[Report] = [results.get(timeout=warmup + seconds + 120) for _ in procs]
    for proc in procs:
        proc.join(10)
    merged = LoadResult(seconds, 0, [], {}, 0)
    for report in reports:
        merged.acked_in_window += report.acked_in_window
        merged.errors += report.errors
        merged.acked.update(report.acked)
        merged.latencies_ms.extend(report.latencies_ms)
    return merged


def cpu_count() -> int:
    """Cores this process may use."""
    return len(os.sched_getaffinity(0))
