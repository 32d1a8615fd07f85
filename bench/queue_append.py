"""Durable append throughput and latency of the embedded queue.

Two scenarios, each on a fresh data directory, printing appends/s, group commits and fsyncs
per second, records per commit and the append (= PUBACK) latency percentiles:

* ``saturate``: ``--producers`` devices, each with one message in flight (a QoS 1 client
  waiting for its PUBACK before the next PUBLISH), as fast as they can: the ceiling.
* ``paced``: ``--devices`` devices together offering ``--rate`` messages/s on a fixed
  schedule. Latency counts from the scheduled send time, so falling behind shows up as
  latency instead of hiding as a lower rate (no coordinated omission).

Each message is a telemetry ``Msg`` built the way a transport builds it (its ``data`` is
~150 bytes of JSON), then appended to the ``Main`` topic.

    .venv/bin/python bench/queue_append.py [--scenario both] [--rate 15000] [--seconds 5]

``--ids python-v1`` builds the same version-1 ids without libuuid (see ``ID_MAKERS``), to
show what the transports would gain from it.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from industryos.entities.ids import EntityType, new_id
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig

TENANT = uuid.uuid4()

Device = Callable[[EmbeddedQueue, EntityRef, asyncio.Event, list[float]], Coroutine[Any, Any, None]]


NODE = uuid.getnode()
ID_MAKERS: dict[str, Callable[[], uuid.UUID]] = {
    "msg-default": new_id,  # what Msg uses today: libuuid, which tries uuidd on every call
    "python-v1": lambda: uuid.uuid1(node=NODE),  # same v1 ids, made in Python, no syscalls
}
make_id = new_id


def telemetry(originator: EntityRef, seq: int) -> Msg:
    """A device's telemetry post: ~150 bytes of JSON, as a transport turns it into a Msg."""
    data = (
        f'{{"temperature":{20 + seq % 10}.53,"humidity":45.2,"pressure":1013.25,'
        f'"vibration":0.0123,"rpm":1480,"current":12.7,"voltage":229.8,'
        f'"status":"RUNNING","seq":{seq}}}'
    )
    return Msg(
        MsgType.POST_TELEMETRY_REQUEST,
        originator,
        TENANT,
        data=data,
        metadata={"deviceType": "default", "deviceName": f"dev-{originator.id.hex[:8]}"},
        id=make_id(),
    )


async def eager_device(
    queue: EmbeddedQueue, originator: EntityRef, stop: asyncio.Event, latencies: list[float]
) -> None:
    """Append, wait for the durable ack, repeat at once."""
    seq = 0
    clock = time.perf_counter
    while not stop.is_set():
        msg = telemetry(originator, seq)
        started = clock()
        await queue.append("Main", msg)
        latencies.append(clock() - started)
        seq += 1


def paced_device(period: float) -> Device:
    """A device that sends every ``period`` seconds (random phase), acks awaited in order."""

    async def device(
        queue: EmbeddedQueue, originator: EntityRef, stop: asyncio.Event, latencies: list[float]
    ) -> None:
        clock = time.perf_counter
        due = clock() + period * (originator.id.int % 1000) / 1000
        seq = 0
        while not stop.is_set():
            delay = due - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            await queue.append("Main", telemetry(originator, seq))
            latencies.append(clock() - due)
            due += period
            seq += 1

    return device


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-quantile of already sorted values."""
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


async def measure(args: argparse.Namespace, title: str, devices: int, device: Device) -> None:
    """Run ``devices`` copies of ``device`` against a fresh queue; print the figures."""
    data_dir = Path(tempfile.mkdtemp(prefix="queue-bench-", dir=args.dir))
    try:
        queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir, {"Main": args.partitions}))
        originators = [EntityRef(EntityType.DEVICE, uuid.uuid4()) for _ in range(devices)]
        stop = asyncio.Event()
        latencies: list[float] = []
        tasks = [asyncio.create_task(device(queue, o, stop, latencies)) for o in originators]
        await asyncio.sleep(args.warmup)
        latencies.clear()
        before = queue.stats()
        started = time.perf_counter()
        cpu_started = time.process_time()
        await asyncio.sleep(args.seconds)
        cpu = time.process_time() - cpu_started
        elapsed = time.perf_counter() - started
        after = queue.stats()
        measured = sorted(latencies)
        stop.set()
        await asyncio.gather(*tasks)
        await queue.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    appends = after.appended - before.appended
    commits = after.commits - before.commits
    print(f"== {title}")
    print(f"  appends/s           {appends / elapsed:10.0f}")
    print(f"  group commits/s     {commits / elapsed:10.0f}")
    print(f"  fsyncs/s            {(after.fsyncs - before.fsyncs) / elapsed:10.0f}")
    print(f"  records per commit  {appends / max(commits, 1):10.1f}")
    written = after.bytes_written - before.bytes_written
    print(f"  MB/s written        {written / elapsed / 1e6:10.2f}")
    print(f"  CPU s per s         {cpu / elapsed:10.2f}   (all threads of this process)")
    print(f"  CPU us per append   {cpu / max(appends, 1) * 1e6:10.1f}   (Msg built + appended)")
    print(
        "  append latency ms   "
        f"p50 {percentile(measured, 0.50) * 1e3:.2f}  "
        f"p99 {percentile(measured, 0.99) * 1e3:.2f}  "
        f"max {measured[-1] * 1e3:.2f}  "
        f"mean {statistics.fmean(measured) * 1e3:.2f}"
    )


async def run(args: argparse.Namespace) -> None:
    """The chosen scenarios, one after the other."""
    sample = telemetry(EntityRef(EntityType.DEVICE, uuid.uuid4()), 12345)
    cpu_started = time.process_time()
    for seq in range(20000):
        telemetry(sample.originator, seq)
    build_us = (time.process_time() - cpu_started) / 20000 * 1e6
    cpu_started = time.process_time()
    for _ in range(20000):
        make_id()
    uuid_us = (time.process_time() - cpu_started) / 20000 * 1e6
    print(
        f"event loop {args.loop}; topic Main with {args.partitions} partitions; "
        f"Msg data {len(sample.data)} bytes, {len(sample.to_bytes())} bytes serialised; "
        f"{args.seconds:g} s measured after {args.warmup:g} s warm-up; "
        f"data dir under {args.dir or tempfile.gettempdir()}"
    )
    print(
        f"building one telemetry Msg costs {build_us:.1f} us CPU, {uuid_us:.1f} us of it "
        f"making Msg.id ({args.ids}); the rest of 'CPU us per append' is queue and event loop"
    )
    if args.scenario in ("saturate", "both"):
        title = f"saturate: {args.producers} devices, one message in flight each"
        await measure(args, title, args.producers, eager_device)
    if args.scenario in ("paced", "both"):
        title = f"paced: {args.devices} devices offering {args.rate} msg/s together"
        await measure(args, title, args.devices, paced_device(args.devices / args.rate))


def main() -> None:
    """Parse arguments and run on uvloop when it is installed (as the node does)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", choices=["saturate", "paced", "both"], default="both")
    parser.add_argument("--producers", type=int, default=500, help="devices in 'saturate'")
    parser.add_argument("--devices", type=int, default=5000, help="devices in 'paced'")
    parser.add_argument("--rate", type=int, default=15000, help="msg/s offered in 'paced'")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--dir", default=None, help="parent of the temporary data dir")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    parser.add_argument("--ids", choices=list(ID_MAKERS), default="msg-default")
    args = parser.parse_args()
    global make_id
    make_id = ID_MAKERS[args.ids]
    if args.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            args.loop = "asyncio"
        else:
            uvloop.run(run(args))
            return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
