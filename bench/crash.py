"""Kill -9 under load: no acknowledged message may be lost, and how fast the node is back.

    .venv/bin/python bench/crash.py [--cycles 10] [--devices 50]

A node (embedded mode) on one data dir; ``--devices`` devices publish QoS 1 telemetry as
fast as the node acknowledges (``_loadgen.py`` devices, one in flight each, ``seq``
counting on across cycles). At a random moment 0.5 to 2 s into each cycle the node gets
SIGKILL. With the node down, the bench opens its durable queue and checks that every
acknowledged ``(device, seq)`` of this and every earlier cycle is in it (the check reads
with its own consumer group and acks as it reads: a consumer stops at ``max_unacked``
records). Then the node restarts: recovery time is SIGKILL to ``/api/health`` 200.
After the last cycle the node runs until the rule engine has stored everything, and the
stored ``seq`` values are compared with the acknowledged ones as well.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import tempfile
import time
from pathlib import Path

import orjson
import uvloop
from _common import NodeProcess, Rest, load, result_line
from _loadgen import Generator
from _store import Store

from industryos.msg import MsgType
from industryos.queue import QueueConfigError
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig


async def _stream(port: int, pid: int, names: list[str], seqs: dict[str, int]) -> dict[str, range]:
    """Publish until a random SIGKILL; the acknowledged seq range per device."""
    gen = Generator(names, 0.0)
    await gen.connect("127.0.0.1", port, [], 64)
    for device in gen.devices:
        device.seq = seqs[device.name]
    gen.window.end = float("inf")
    for device in gen.devices:
        device.send()
    await asyncio.sleep(random.uniform(0.5, 2.0))
    os.kill(pid, signal.SIGKILL)
    await asyncio.sleep(0.3)
    gen.closing = True
    acked: dict[str, range] = {}
    for device in gen.devices:
        acked[device.name] = range(seqs[device.name], seqs[device.name] + device.acked)
        seqs[device.name] = device.seq
        if device.transport is not None:
            device.transport.close()
    return acked


async def _queued(data_dir: Path, group: str) -> dict[str, set[int]]:
    """Every (device, seq) of the telemetry messages in the durable queues (node down): the
    node's, and with worker processes each worker's (``queue-<k>``)."""
    found: dict[str, set[int]] = {}
    workers = sorted(data_dir.glob("queue-*"))  # noqa: ASYNC240  (the node is down)
    for queue_dir in [data_dir / "queue", *workers]:
        await _read_queue(await _open_when_free(queue_dir), group, found)
    return found


async def _open_when_free(queue_dir: Path) -> EmbeddedQueue:
    """The queue, once the worker that held it has exited (it follows worker 0 within
    milliseconds of the SIGKILL; a second is plenty)."""
    for _ in range(50):
        try:
            return await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=queue_dir))
        except QueueConfigError:
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{queue_dir} is still held by a process of the killed node")


async def _read_queue(queue: EmbeddedQueue, group: str, found: dict[str, set[int]]) -> None:
    try:
        consumer = await queue.subscribe("Main", group)
        while batches := await consumer.fetch(max_records=10_000, max_wait=0.2):
            for batch in batches:
                for record in batch.records:
                    msg = record.msg
                    if msg.type == MsgType.POST_TELEMETRY_REQUEST:
                        seq = orjson.loads(msg.data).get("seq")
                        if seq is not None:
                            found.setdefault(msg.metadata["deviceName"], set()).add(seq)
                await consumer.ack(batch.partition, batch.records[-1].offset)
        if any(consumer.lag().values()):
            raise RuntimeError("the check did not read the whole log")
        await consumer.close()
    finally:
        await queue.close()


async def _stored(store: Store) -> dict[str, set[int]]:
    await store.open()
    try:
        key_id = await store.key_id("seq")
        rows = await store._rows(
            "SELECT d.name, t.long_v FROM ts_kv t JOIN device d ON d.id = t.entity_id"
            " WHERE t.key = {p1}",
            key_id,
        )
    finally:
        await store.close()
    found: dict[str, set[int]] = {}
    for name, seq in rows:
        found.setdefault(str(name), set()).add(int(seq))
    return found


def _missing(acked: dict[str, list[range]], found: dict[str, set[int]]) -> int:
    return sum(
        1
        for name, ranges in acked.items()
        for r in ranges
        for seq in r
        if seq not in found.get(name, ())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--devices", type=int, default=50)
    args = parser.parse_args()
    print(f"crash: {args.cycles} kill -9 cycles, {args.devices} devices; {load()}")
    with tempfile.TemporaryDirectory(prefix="iosbench-crash-") as tmp:
        data_dir = Path(tmp)
        node = NodeProcess(data_dir).start()
        node.wait_ready()
        names = list(Rest(node.base).create_devices("crash-", args.devices))
        seqs = dict.fromkeys(names, 0)
        acked: dict[str, list[range]] = {name: [] for name in names}
        recovery: list[float] = []
        lost_in_queue = 0
        total = 0
        for cycle in range(args.cycles):
            cycle_acked = uvloop.run(_stream(node.mqtt_port, node.pid, names, seqs))
            node.process.wait(10)  # type: ignore[union-attr]
            killed_at = time.monotonic()
            for name, r in cycle_acked.items():
                acked[name].append(r)
                total += len(r)
            found = asyncio.run(_queued(data_dir, f"check{cycle}"))
            lost_in_queue = _missing(acked, found)
            node = NodeProcess(data_dir).start()
            node.wait_ready()
            recovery.append(time.monotonic() - killed_at)
            print(
                f"  cycle {cycle + 1}: {sum(len(r) for r in cycle_acked.values())} acknowledged"
                f" before the kill; lost so far {lost_in_queue}; back in {recovery[-1]:.2f} s"
            )
        started = time.monotonic()
        store_missing = total
        while time.monotonic() - started < 120:
            store_missing = _missing(acked, asyncio.run(_stored(Store(data_dir, None))))
            if not store_missing:
                break
            time.sleep(1.0)
        drain = time.monotonic() - started
        node.cleanup()
    print(
        f"{args.cycles} cycles, {total} acknowledged: lost in queue {lost_in_queue}, "
        f"not stored {store_missing} (stored everything {drain:.1f} s after the last restart); "
        f"recovery (kill→ready) median {statistics.median(recovery):.2f} s "
        f"max {max(recovery):.2f} s; {load()}"
    )
    result_line(
        "crash",
        cycles=args.cycles,
        acked=total,
        lost=lost_in_queue,
        not_stored=store_missing,
        recovery_median_s=statistics.median(recovery),
        recovery_max_s=max(recovery),
    )


if __name__ == "__main__":
    main()
