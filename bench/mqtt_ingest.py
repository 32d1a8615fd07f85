"""Fleet ingest: many devices publishing QoS 1 telemetry into a real node, then Mosquitto.

    .venv/bin/python bench/mqtt_ingest.py [--devices 200] [--rate 0] [--seconds 10]
        [--warmup 3] [--procs 1] [--db postgresql://postgres@127.0.0.1:5432] [--no-mosquitto]
        [--synchronized] [--queue nats://127.0.0.1:4222]

Starts a node (embedded mode by default; ``--db`` names a PostgreSQL server, on which a
fresh database is created and dropped; ``--queue`` puts its queue on JetStream, streams of
the run's own that are deleted at the end) with the demo tenant's default root rule chain and
one alarm rule (``temperature > 1000``, evaluated on every message, never raised) on the
default device profile; creates ``--devices`` devices through the REST API; then drives
them from ``--procs`` load-generator processes (``_loadgen.py``): ThingsBoard telemetry
JSON with three data points, QoS 1, one message in flight per device, at ``--rate``
msg/s in total (0: as fast as the node acknowledges). At a target rate the devices'
phases are spread evenly over their period, as in a fleet switched on at different moments;
``--synchronized`` keeps them in step instead (a fleet reporting on the minute): every
device publishes at the same moment, a burst of ``--devices`` messages per period, whose
PUBACK latency is the time to work off the burst.

Meanwhile this process watches a sample of devices: a WebSocket client subscribed to
their ``seq`` time series (``/api/ws`` TIMESERIES) gives device-to-WebSocket latency, and
polling their latest stored value (read-only, straight from the database) gives
device-to-stored latency (5 ms poll, so ±5 ms). Both are measured against the ``ts`` the
device put in the message (its send time, ms).

After the window: waits until the rule engine has stored everything (printing how long
that took beyond the load), counts stored points per device and prints how many
acknowledged messages are missing (must be 0). Then the same load against Mosquitto
(``/usr/sbin/mosquitto``, free port, temporary config, no persistence) and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import websockets
from _common import (
    NodeProcess,
    Rest,
    cpu_seconds,
    delete_jetstream_queue,
    free_port,
    load,
    percentile,
    result_line,
    rss_mib,
)
from _loadgen import LoadResult, run_load
from _store import Store, drop_pg_database, fresh_pg_database

MOSQUITTO = "/usr/sbin/mosquitto"


@dataclass
class Watch:
    """What the watcher thread saw during the window."""

    ws_ms: list[float] = field(default_factory=list)
    stored_ms: list[float] = field(default_factory=list)
    cpu_percent: float = float("nan")
    rss_mib: float = float("nan")
    error: BaseException | None = None


class Watcher(threading.Thread):
    """WebSocket subscriber and stored-value poller for a device sample, plus node CPU/RSS."""

    def __init__(
        self,
        node: NodeProcess,
        store: Store,
        token: str,
        sample: list[uuid.UUID],
        *,
        profile: bool = False,
        py_spy: str | None = None,
    ):
        super().__init__(daemon=True)
        self.node, self.store, self.token, self.sample = node, store, token, sample
        self.profile = profile
        self.py_spy = py_spy
        self.window: tuple[float, float] | None = None
        self.window_known = threading.Event()
        self.subscribed = threading.Event()
        self.finished = threading.Event()
        self.watch = Watch()

    def set_window(self, start: float, end: float) -> None:
        """Called by the load driver once the window is fixed."""
        self.window = (start, end)
        self.window_known.set()

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:
            self.watch.error = exc
            self.subscribed.set()

    async def _main(self) -> None:
        await self.store.open()
        try:
            await self._watch()
        finally:
            await self.store.close()

    async def _watch(self) -> None:
        url = f"ws://127.0.0.1:{self.node.http_port}/api/ws?token={self.token}"
        async with websockets.connect(url, max_size=None) as ws:
            cmds = [
                {
                    "type": "TIMESERIES",
                    "cmdId": i + 1,
                    "entityType": "DEVICE",
                    "entityId": str(device),
                    "keys": "seq",
                }
                for i, device in enumerate(self.sample)
            ]
            await ws.send(orjson.dumps({"cmds": cmds}).decode())
            self.subscribed.set()
            await asyncio.get_running_loop().run_in_executor(None, self.window_known.wait)
            assert self.window is not None
            start, end = self.window
            ws_task = asyncio.create_task(self._ws(ws, start, end))
            poll_task = asyncio.create_task(self._poll(start, end))
            await asyncio.sleep(max(0.0, start - time.time()))
            cpu0, t0 = cpu_seconds(self.node.pid), time.monotonic()
            tasks = bool(os.environ.get("INDUSTRYOS_BENCH_TASKS"))
            if tasks:  # TASKS lines in the node log: the warm-up's, then the window's
                os.kill(self.node.pid, signal.SIGUSR2)
            if self.profile:  # cProfile over the window (SIGHUP toggles it in the node)
                os.kill(self.node.pid, signal.SIGHUP)
            spy = self._start_py_spy(end - time.time())
            await asyncio.sleep(max(0.0, end - time.time()))
            cpu1, t1 = cpu_seconds(self.node.pid), time.monotonic()
            if tasks:
                os.kill(self.node.pid, signal.SIGUSR2)
            if self.profile:
                os.kill(self.node.pid, signal.SIGHUP)
            if spy is not None:
                await asyncio.get_running_loop().run_in_executor(None, spy.wait)
            if os.environ.get("INDUSTRYOS_BENCH_GC_GARBAGE"):  # GARBAGE lines in the node log
                os.kill(self.node.pid, signal.SIGUSR2)
            self.watch.cpu_percent = 100 * (cpu1 - cpu0) / (t1 - t0)
            self.watch.rss_mib = rss_mib(self.node.pid)
            # late updates of messages sent in the window still count: wait for the drain
            await asyncio.get_running_loop().run_in_executor(None, self.finished.wait)
            ws_task.cancel()
            poll_task.cancel()
            await asyncio.gather(ws_task, poll_task, return_exceptions=True)

    def _start_py_spy(self, seconds: float) -> subprocess.Popen[bytes] | None:
        """py-spy sampling of the node over the window (all threads, low overhead)."""
        if self.py_spy is None:
            return None
        py_spy = Path(sys.executable).with_name("py-spy")
        return subprocess.Popen(
            [
                str(py_spy),
                "record",
                "--pid",
                str(self.node.pid),
                "--threads",
                *(["--gil"] if os.environ.get("INDUSTRYOS_BENCH_PY_SPY_GIL") else []),
                "--nonblocking",
                "-r",
                "200",
                "-d",
                str(max(1, int(seconds))),
                "-f",
                "raw",
                "-o",
                self.py_spy,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def _ws(self, ws: websockets.ClientConnection, start: float, end: float) -> None:
        async for frame in ws:
            now_ms = time.time() * 1000
            update = orjson.loads(frame)
            for ts, _ in (update.get("data") or {}).get("seq", []):
                if start * 1000 <= ts < end * 1000:
                    self.watch.ws_ms.append(now_ms - ts)

    async def _poll(self, start: float, end: float) -> None:
        seen: dict[uuid.UUID, int] = {}
        while True:
            latest = await self.store.latest_ts("seq", self.sample)
            now_ms = time.time() * 1000
            for device, ts in latest.items():
                if seen.get(device) != ts:
                    if device in seen and start * 1000 <= ts < end * 1000:
                        self.watch.stored_ms.append(now_ms - ts)
                    seen[device] = ts
            await asyncio.sleep(0.005)


def _drain(store: Store, expected: int, patience: float) -> tuple[int, float]:
    """Wait until ``expected`` points are stored or nothing moves for ``patience`` s."""

    async def wait() -> tuple[int, float]:
        await store.open()
        try:
            return await waiting()
        finally:
            await store.close()

    async def waiting() -> tuple[int, float]:
        started = time.monotonic()
        last, moved = -1, time.monotonic()
        while True:
            stored = await store.count("seq")
            if stored >= expected:
                return stored, time.monotonic() - started
            if stored != last:
                last, moved = stored, time.monotonic()
            elif time.monotonic() - moved > patience:
                return stored, time.monotonic() - started
            await asyncio.sleep(0.25)

    return asyncio.run(wait())


def _per_device(store: Store) -> dict[str, int]:
    async def read() -> dict[str, int]:
        await store.open()
        try:
            return await store.per_device("seq")
        finally:
            await store.close()

    return asyncio.run(read())


def _summarise(name: str, result: LoadResult) -> str:
    lat = result.latencies_ms
    return (
        f"{name:<11}: {result.rate:9.0f} msg/s {3 * result.rate:9.0f} dp/s; "
        f"PUBACK p50 {statistics.median(lat) if lat else float('nan'):6.1f} ms "
        f"p99 {percentile(lat, 0.99):6.1f} ms; errors {result.errors}"
    )


def _loop_lag(before: dict[str, float], after: dict[str, float]) -> str:
    """Worker 0's event-loop stalls between two counter lines (``--loop-lag``)."""
    over10 = after.get("lag_over10", 0) - before.get("lag_over10", 0)
    over50 = after.get("lag_over50", 0) - before.get("lag_over50", 0)
    return (
        f"  worker 0 event loop: longest stall {after.get('lag_max_ms', 0):.1f} ms "
        f"({after.get('lag_max_cpu_ms', 0):.1f} ms of it on the CPU); "
        f"{over10:.0f} stalls over 10 ms, {over50:.0f} over 50 ms"
    )


def _nats_cpu() -> float:
    """CPU seconds of every ``nats-server`` process on the machine (the queue's server)."""
    found = subprocess.run(["pgrep", "-x", "nats-server"], capture_output=True, text=True)
    return sum(cpu_seconds(int(pid)) for pid in found.stdout.split())


def run_node(args: argparse.Namespace) -> dict[str, float]:
    """The node part: figures for the summary."""
    pg_name = f"iosbench_{os.getpid()}"
    pg_url = asyncio.run(fresh_pg_database(args.db, pg_name)) if args.db else None
    extra = {"INDUSTRYOS_BENCH_PROFILE": str(Path(args.profile).resolve())} if args.profile else {}
    knobs = (
        "INDUSTRYOS_BENCH_GC_DEFAULT",
        "INDUSTRYOS_BENCH_GC_THRESHOLD",
        "INDUSTRYOS_BENCH_GC_GARBAGE",
        "INDUSTRYOS_BENCH_GC_LOG",
    )
    for knob in knobs:
        if os.environ.get(knob):
            extra[knob] = os.environ[knob]
    if args.ingest_only:  # nothing consumes the queue: no lag may hold devices back either
        extra["INDUSTRYOS_BENCH_NO_RULE_ENGINE"] = "1"
        extra["INDUSTRYOS_INGEST_MAX_LAG"] = "0"
    if args.workers > 1:
        extra["INDUSTRYOS_WORKERS"] = str(args.workers)
    if args.loop_lag:
        extra["INDUSTRYOS_BENCH_LOOP_LAG"] = "1"
    queue_prefix = f"iosbench{os.getpid()}"
    if args.queue:
        extra["INDUSTRYOS_QUEUE_URL"] = args.queue
        extra["INDUSTRYOS_QUEUE_PREFIX"] = queue_prefix
    node = NodeProcess(db_url=pg_url, extra_env=extra).start()
    try:
        ready = node.wait_ready()
        rest = Rest(node.base)
        rest.add_alarm_rule()
        started = time.monotonic()
        ids = rest.create_devices(f"ingest-{os.getpid()}-", args.devices)
        print(
            f"node ready in {ready:.2f} s; {args.devices} devices created through REST in "
            f"{time.monotonic() - started:.1f} s; {load()}"
        )
        store = Store(node.data_dir, pg_url)
        sample = list(ids.values())[: args.ws_sample]
        watcher = Watcher(
            node, store, rest.token, sample, profile=bool(args.profile), py_spy=args.py_spy
        )
        watcher.start()
        watcher.subscribed.wait(30)
        if watcher.watch.error is not None:
            raise RuntimeError("watcher failed") from watcher.watch.error
        before = node.queue_stats()
        cpu_started = cpu_seconds(node.pid)
        nats_started = _nats_cpu() if args.queue else 0.0
        load_started = time.monotonic()
        result = run_load(
            "127.0.0.1",
            node.mqtt_port,
            list(ids),
            rate=args.rate,
            warmup=args.warmup,
            seconds=args.seconds,
            processes=args.procs,
            on_window=watcher.set_window,
            synchronized=args.synchronized,
        )
        load_ended = time.monotonic()
        after = node.queue_stats()
        acked_total = sum(result.acked.values())
        if args.ingest_only:
            return _ingest_only(node, watcher, result, before, after, cpu_started)
        stored, drain_s = _drain(Store(node.data_dir, pg_url), acked_total, patience=30.0)
        cpu_used = cpu_seconds(node.pid) - cpu_started
        nats_used = _nats_cpu() - nats_started if args.queue else 0.0
        time.sleep(0.5)
        watcher.finished.set()
        watcher.join(30)
        if watcher.watch.error is not None:
            raise RuntimeError("watcher failed") from watcher.watch.error
        per_device = _per_device(Store(node.data_dir, pg_url))
        missing = sum(max(0, n - per_device.get(name, 0)) for name, n in result.acked.items())
        watch = watcher.watch
        window = load_ended - load_started
        commits = after["commits"] - before["commits"]
        fsyncs = sum(after.get(k, 0) - before.get(k, 0) for k in ("fsyncs", "offset_fsyncs"))
        acks = after.get("offset_commits", 0) - before.get("offset_commits", 0)
        print(_summarise("IndustryOS", result) + f"; {load()}")
        print(
            f"  node CPU {watch.cpu_percent:.0f} % of one core, RSS {watch.rss_mib:.0f} MiB; "
            f"{commits / window:.0f} queue group commits/s, {acks / window:.0f} ack commits/s, "
            f"{fsyncs / window:.0f} queue fsyncs/s; "
            f"GC CPU {after.get('gc_s', 0) - before.get('gc_s', 0):.2f} s "
            f"({after.get('gc2', 0) - before.get('gc2', 0)} full collections, "
            f"{after.get('tracked', 0)} objects tracked; by generation "
            + ", ".join(
                f"{after.get(f'gc_s{g}', 0) - before.get(f'gc_s{g}', 0):.2f} s" for g in range(3)
            )
            + f"; {after.get('gc_n0', 0) - before.get('gc_n0', 0)} young, "
            f"{after.get('gc_n1', 0) - before.get('gc_n1', 0)} middle; "
            f"longest since start {1000 * after.get('gc_max', 0):.1f} ms)"
        )
        if args.loop_lag:
            print(_loop_lag(before, after))
        print(
            f"  device→stored  p50 {statistics.median(watch.stored_ms or [float('nan')]):6.1f}"
            f" ms p99 {percentile(watch.stored_ms, 0.99):6.1f} ms ({len(watch.stored_ms)} samples)"
        )
        print(
            f"  device→WS      p50 {statistics.median(watch.ws_ms or [float('nan')]):6.1f}"
            f" ms p99 {percentile(watch.ws_ms, 0.99):6.1f} ms ({len(watch.ws_ms)} samples)"
        )
        stored_rate = stored / (load_ended - load_started + drain_s)
        cpu_us = 1e6 * cpu_used / max(stored, 1)
        if args.queue:  # the queue's server works for the node: its share, apart
            print(
                f"  NATS server CPU {100 * nats_used / (load_ended - load_started + drain_s):.0f}"
                f" % of one core, {1e6 * nats_used / max(stored, 1):.0f} µs per message"
            )
        print(
            f"  node CPU per message, ingest to stored: {cpu_us:.0f} µs "
            f"(one core at 100 % would carry {1e6 / cpu_us:.0f} msg/s)"
        )
        print(
            f"  {acked_total} acknowledged, {stored} stored; missing {missing}; storage caught "
            f"up {drain_s:.1f} s after the load (stored {stored_rate:.0f} msg/s over the run)"
        )
        return {
            **_load_figures(result, watch, cpu_us),
            "stored_p50_ms": statistics.median(watch.stored_ms or [float("nan")]),
            "stored_p99_ms": percentile(watch.stored_ms, 0.99),
            "ws_p50_ms": statistics.median(watch.ws_ms or [float("nan")]),
            "ws_p99_ms": percentile(watch.ws_ms, 0.99),
            "missing": missing,
            "drain_s": drain_s,
            **({"nats_cpu_us_per_msg": 1e6 * nats_used / max(stored, 1)} if args.queue else {}),
        }
    finally:
        if args.keep_log:
            shutil.copy(node.data_dir / "node.log", args.keep_log)
        node.cleanup()
        if args.db:
            asyncio.run(drop_pg_database(args.db, pg_name))
        if args.queue:
            delete_jetstream_queue(args.queue, queue_prefix)


def _ingest_only(
    node: NodeProcess,
    watcher: Watcher,
    result: LoadResult,
    before: dict[str, float],
    after: dict[str, float],
    cpu_started: float,
) -> dict[str, float]:
    """Figures of the transport and the durable queue alone (no rule engine consumed)."""
    cpu_used = cpu_seconds(node.pid) - cpu_started
    watcher.finished.set()
    watcher.join(30)
    acked_total = sum(result.acked.values())
    appended = after["appended"] - before["appended"]
    cpu_us = 1e6 * cpu_used / max(acked_total, 1)
    print(_summarise("IndustryOS, ingest only", result) + f"; {load()}")
    print(
        f"  node CPU {watcher.watch.cpu_percent:.0f} % of one core, RSS "
        f"{watcher.watch.rss_mib:.0f} MiB; CPU per acknowledged message {cpu_us:.0f} µs "
        f"(one core at 100 % would carry {1e6 / cpu_us:.0f} msg/s)"
    )
    print(
        f"  {acked_total} acknowledged, {appended:.0f} appended to the durable queue in the "
        "window (the rule engine consumed nothing: no stored or WebSocket figures)"
    )
    return _load_figures(result, watcher.watch, cpu_us)


def _load_figures(result: LoadResult, watch: Watch, cpu_us: float) -> dict[str, float]:
    """What every node run reports: rate, PUBACK latency, node CPU and RSS, errors."""
    return {
        "msg_s": result.rate,
        "dp_s": 3 * result.rate,
        "puback_p50_ms": statistics.median(result.latencies_ms or [float("nan")]),
        "puback_p99_ms": percentile(result.latencies_ms, 0.99),
        "cpu_percent": watch.cpu_percent,
        "rss_mib": watch.rss_mib,
        "cpu_us_per_msg": cpu_us,
        "errors": result.errors,
    }


def run_mosquitto(args: argparse.Namespace, names: list[str]) -> LoadResult | None:
    """The same load against a Mosquitto on a free port."""
    if not shutil.which(MOSQUITTO) and not Path(MOSQUITTO).exists():
        print("mosquitto not installed: no comparison")
        return None
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="iosbench-mosq-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_inflight_messages 0\nlog_dest none\n"
        )
        process = subprocess.Popen([MOSQUITTO, "-c", str(conf)])
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    with __import__("socket").create_connection(("127.0.0.1", port), 0.2):
                        break
                except OSError:
                    time.sleep(0.05)
            result = run_load(
                "127.0.0.1",
                port,
                names,
                rate=args.rate,
                warmup=args.warmup,
                seconds=args.seconds,
                processes=args.procs,
                synchronized=args.synchronized,
            )
        finally:
            process.terminate()
            process.wait(10)
    print(_summarise("Mosquitto", result) + f"; {load()}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rate", type=float, default=0.0, help="msg/s in total; 0: max")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--procs", type=int, default=1, help="load-generator processes")
    parser.add_argument("--ws-sample", type=int, default=10)
    parser.add_argument("--db", default=None, help="postgresql://user@host:port server")
    parser.add_argument(
        "--queue", default=None, help="nats://host:port: the node's queue on JetStream"
    )
    parser.add_argument("--no-mosquitto", action="store_true")
    parser.add_argument(
        "--synchronized",
        action="store_true",
        help="at a target rate, every device publishes at the same moment of its period",
    )
    parser.add_argument(
        "--ingest-only",
        action="store_true",
        help="the node's rule engine consumes nothing: the transport and durable queue alone",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="the node's worker processes (CPU and RSS add up all of them; queue and "
        "collector figures are worker 0's)",
    )
    parser.add_argument("--keep-log", default=None, help="copy the node's log here at the end")
    parser.add_argument(
        "--loop-lag",
        action="store_true",
        help="time a 2 ms timer on worker 0's event loop and print its stalls over the window",
    )
    parser.add_argument(
        "--profile", default=None, help="write the node's cProfile of the window here"
    )
    parser.add_argument(
        "--py-spy", default=None, help="write py-spy's raw samples of the node's window here"
    )
    args = parser.parse_args()
    print(
        f"mqtt_ingest: {args.devices} devices, rate {args.rate or 'max'}, {args.seconds:.0f} s "
        f"(+{args.warmup:.0f} s warm-up), {args.procs} generator process(es), "
        f"{'PostgreSQL' if args.db else 'embedded'}"
        f"{', queue on JetStream' if args.queue else ''}"
        f"{f', {args.workers} workers' if args.workers > 1 else ''}"
        f"{', synchronized' if args.synchronized and args.rate else ''}; {load()}"
    )
    figures = run_node(args)
    ratio = float("nan")
    if not args.no_mosquitto:
        mosquitto = run_mosquitto(args, [f"mosq-{i}" for i in range(args.devices)])
        if mosquitto is not None and mosquitto.rate:
            ratio = figures["msg_s"] / mosquitto.rate
            figures["mosquitto_msg_s"] = mosquitto.rate
            print(f"IndustryOS / Mosquitto = {ratio:.2f}")
    figures["ratio"] = ratio
    result_line(
        "mqtt_ingest",
        rate_target=args.rate,
        devices=args.devices,
        db="postgresql" if args.db else "embedded",
        **figures,
    )


if __name__ == "__main__":
    main()
