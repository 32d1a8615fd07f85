"""How far more node processes on this machine carry fleet ingest: N cluster nodes, one database.

    .venv/bin/python bench/cluster_ingest.py [--nodes 1 2] [--devices 200] [--seconds 12]
        [--db postgresql://postgres@127.0.0.1:5432 | --db sqlite] [--bus nats://127.0.0.1:4222]
        [--queue nats://127.0.0.1:4222]

For each count in ``--nodes`` it starts that many nodes as a cluster on this machine: one
database (a fresh PostgreSQL database, or ``--db sqlite``: one SQLite file that every node
opens) and one cluster bus (core NATS), each node with its own data dir (its own durable
queue and rule engine; with ``--queue``, one JetStream queue that the nodes share, streams
of the run's own that are deleted at the end), HTTP and MQTT port. The default device
profile gets the alarm rule ``mqtt_ingest.py`` uses; devices are created through the first
node's REST API and split evenly over the nodes, each share driven by its own load-generator
process as fast as its node acknowledges (QoS 1, one message in flight per device, three
data points). It prints the summed msg/s and, per node, msg/s and CPU; ``CPU per message``
adds up every node's CPU.

This is the existing cluster mode run side by side, which is the simplest form of "several
worker processes on one node": it tells what process parallelism can buy on this machine
before the queue and caches are shared between processes. The load generator, the database
server and NATS run on the same two cores, so the figures include their share.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from pathlib import Path

from _common import (
    NodeProcess,
    Rest,
    cpu_seconds,
    delete_jetstream_queue,
    load,
    result_line,
    rss_mib,
)
from _loadgen import LoadResult, run_load
from _store import drop_pg_database, fresh_pg_database


def _run(count: int, args: argparse.Namespace, run_id: str) -> None:
    shared = tempfile.TemporaryDirectory(prefix="ioscluster-")
    pg_name = f"ioscluster_{os.getpid()}_{count}"
    if args.db == "sqlite":
        db_url = f"sqlite:///{Path(shared.name) / 'industryos.db'}"
    else:
        db_url = asyncio.run(fresh_pg_database(args.db, pg_name))
    nodes: list[NodeProcess] = []
    settings = {"INDUSTRYOS_BUS_URL": args.bus}
    queue_prefix = f"ioscluster{os.getpid()}x{count}"
    if args.queue:
        settings |= {"INDUSTRYOS_QUEUE_URL": args.queue, "INDUSTRYOS_QUEUE_PREFIX": queue_prefix}
    try:
        for _ in range(count):  # one after the other: the first one migrates and seeds
            node = NodeProcess(db_url=db_url, extra_env=settings)
            nodes.append(node.start())
            node.wait_ready()
        rest = Rest(nodes[0].base)
        rest.add_alarm_rule()
        names = list(rest.create_devices(f"cluster-{run_id}-{count}-", args.devices))
        results: list[LoadResult | None] = [None] * count
        failures: list[BaseException] = []

        def drive(index: int) -> None:
            try:
                results[index] = run_load(
                    "127.0.0.1",
                    nodes[index].mqtt_port,
                    names[index::count],
                    rate=0,
                    warmup=args.warmup,
                    seconds=args.seconds,
                    processes=1,
                )
            except BaseException as exc:  # reported below, after every driver ended
                failures.append(exc)

        cpu_before = [cpu_seconds(node.pid) for node in nodes]
        started = time.monotonic()
        drivers = [threading.Thread(target=drive, args=(i,)) for i in range(count)]
        for driver in drivers:
            driver.start()
        for driver in drivers:
            driver.join()
        elapsed = time.monotonic() - started
        if failures:
            raise RuntimeError("a load generator failed") from failures[0]
        done = [r for r in results if r is not None]
        cpu = [cpu_seconds(n.pid) - c for n, c in zip(nodes, cpu_before, strict=True)]
        rate = sum(r.rate for r in done)
        errors = sum(r.errors for r in done)
        cpu_share = sum(cpu) / elapsed  # cores, over warm-up and window alike
        per_message_us = 1e6 * sum(cpu) / max(1, sum(sum(r.acked.values()) for r in done))
        print(
            f"{count} node(s): {rate:8.0f} msg/s  "
            f"(per node {', '.join(f'{r.rate:.0f}' for r in done)}); errors {errors}; "
            f"node CPU {100 * cpu_share:.0f} % of one core in all "
            f"({', '.join(f'{100 * c / elapsed:.0f}' for c in cpu)}), "
            f"{per_message_us:.0f} µs per message; "
            f"RSS {', '.join(f'{rss_mib(n.pid):.0f}' for n in nodes)} MiB; {load()}",
            flush=True,
        )
        result_line(
            "cluster_ingest",
            nodes=count,
            db="sqlite" if args.db == "sqlite" else "postgresql",
            msg_s=rate,
            errors=errors,
            cpu_us_per_msg=per_message_us,
        )
    finally:
        for node in nodes:
            node.cleanup()
        if args.db != "sqlite":
            asyncio.run(drop_pg_database(args.db, pg_name))
        if args.queue:
            delete_jetstream_queue(args.queue, queue_prefix)
        shared.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--db", default="postgresql://postgres@127.0.0.1:5432", help="a PostgreSQL server or sqlite"
    )
    parser.add_argument("--bus", default="nats://127.0.0.1:4222")
    parser.add_argument("--queue", default=None, help="nats://host:port: a JetStream queue")
    args = parser.parse_args()
    print(f"cluster_ingest: {args.devices} devices, {args.seconds:.0f} s per run; {load()}")
    for count in args.nodes:
        _run(count, args, str(os.getpid()))


if __name__ == "__main__":
    main()
