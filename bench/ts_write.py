"""Time-series write throughput through the batch writer, on SQLite and PostgreSQL.

    .venv/bin/python bench/ts_write.py [--db sqlite|postgresql] [--devices 1000] [--rounds 300]

Each engine gets its own fresh database (a temporary SQLite file; a uniquely named
PostgreSQL database on 127.0.0.1:5432, dropped afterwards), migrated like a node's.
``--producers`` tasks play the queue consumers: each owns a slice of the devices and, round
after round, submits one message per device (``--keys`` points at one ts) to the writer,
keeping at most ``--window`` messages uncommitted, as a consumer that acknowledges the
queue after the commit does. ``--mode write`` instead runs one task per device that awaits
``writer.write`` for every message (one message in flight per device).

The clock runs from the first submit to the last commit; the row counts are checked at
the end. Settings default to the node's (flush 50 ms, batches of up to 20,000 points).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import sqlalchemy as sa

from industryos.config import Settings
from industryos.storage.engine import create_engine
from industryos.storage.migrate import upgrade
from industryos.storage.timeseries import TimeseriesStorage, ts_kv, ts_kv_latest
from industryos.telemetry.kv import DataType, TsKvEntry

PG_ADMIN_DSN = os.environ.get(
    "INDUSTRYOS_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
KEYS = (("temperature", DataType.DOUBLE), ("humidity", DataType.LONG), ("voltage", DataType.DOUBLE))


@contextlib.asynccontextmanager
async def database(kind: str) -> AsyncIterator[str]:
    """A fresh database URL of ``kind``, removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="iosbench") as tmp:
            yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"iosbench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base, _, _ = PG_ADMIN_DSN.rpartition("/")
        yield f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def message(ts: int, count: int) -> list[TsKvEntry]:
    """One device message: ``count`` points at ``ts``."""
    points = []
    for key, data_type in KEYS[:count]:
        value: float | int = (
            random.uniform(-40, 80) if data_type is DataType.DOUBLE else random.randrange(100)
        )
        points.append(TsKvEntry(ts, key, value, data_type))
    return points


async def consumer(
    storage: TimeseriesStorage,
    tenant: uuid.UUID,
    devices: list[uuid.UUID],
    args: argparse.Namespace,
    base_ts: int,
) -> None:
    """Submit every round of ``devices``, with at most ``window`` messages uncommitted."""
    writer = storage.writer
    in_flight: deque[tuple[asyncio.Future[None], int]] = deque()
    uncommitted = 0
    for round_ in range(args.rounds):
        ts = base_ts + round_ * 1000
        for device in devices:
            future = writer.submit(tenant, device, message(ts, args.keys))
            if in_flight and in_flight[-1][0] is future:
                in_flight[-1] = (future, in_flight[-1][1] + 1)
            else:
                in_flight.append((future, 1))
            uncommitted += 1
            while uncommitted > args.window:
                done, count = in_flight.popleft()
                await done
                uncommitted -= count
        await asyncio.sleep(0)
    for future, _ in in_flight:
        await future


async def device_task(
    storage: TimeseriesStorage,
    tenant: uuid.UUID,
    device: uuid.UUID,
    args: argparse.Namespace,
    base_ts: int,
) -> None:
    """One device awaiting the commit of each message before sending the next."""
    for round_ in range(args.rounds):
        await storage.writer.write(tenant, device, message(base_ts + round_ * 1000, args.keys))


async def run(kind: str, args: argparse.Namespace) -> float:
    """Write ``devices x keys x rounds`` points into a fresh ``kind`` database; dp/s."""
    settings = Settings()
    async with database(kind) as url:
        engine = create_engine(url)
        try:
            await upgrade(engine)
            storage = TimeseriesStorage.create(
                engine,
                partition_days=settings.ts_partition_days,
                flush_interval_ms=args.flush_ms or settings.ts_flush_interval_ms,
                batch_max_points=args.batch or settings.ts_batch_max_points,
                default_ttl_days=settings.ts_default_ttl_days,
            )
            await storage.writer.start()
            tenant = uuid.uuid4()
            devices = [uuid.uuid4() for _ in range(args.devices)]
            base_ts = (time.time_ns() // 1_000_000) - args.rounds * 1000
            await storage.writer.write(
                tenant, devices[0], message(base_ts - 1000, args.keys)
            )  # warm-up
            started = time.perf_counter()
            if args.mode == "write":
                tasks = [device_task(storage, tenant, d, args, base_ts) for d in devices]
            else:
                tasks = [
                    consumer(storage, tenant, devices[i :: args.producers], args, base_ts)
                    for i in range(args.producers)
                ]
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - started
            stats = storage.writer.stats
            await storage.writer.stop()
            points = args.devices * args.keys * args.rounds
            async with engine.connect() as conn:
                stored = (
                    await conn.execute(sa.select(sa.func.count()).select_from(ts_kv))
                ).scalar_one()
                latest = (
                    await conn.execute(sa.select(sa.func.count()).select_from(ts_kv_latest))
                ).scalar_one()
            assert stored == points + args.keys, (
                f"{stored} rows stored, {points + args.keys} written"
            )
            assert latest == args.devices * args.keys, f"{latest} latest rows"
        finally:
            await engine.dispose()
    rate = points / elapsed
    print(
        f"{kind:<10} {rate:>10,.0f} dp/s   {points:,} points in {elapsed:.2f} s, "
        f"{stats.batches - 1} batches of {(points / max(stats.batches - 1, 1)):,.0f} points avg "
        f"({args.mode}, {args.devices} devices x {args.keys} keys, "
        f"{args.producers if args.mode == 'submit' else args.devices} producers)"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=3, choices=[1, 2, 3])
    parser.add_argument("--rounds", type=int, default=300, help="messages per device")
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument(
        "--window", type=int, default=10_000, help="uncommitted messages per producer"
    )
    parser.add_argument("--mode", choices=["submit", "write"], default="submit")
    parser.add_argument("--flush-ms", type=int, default=0, help="override ts_flush_interval_ms")
    parser.add_argument("--batch", type=int, default=0, help="override ts_batch_max_points")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency off Windows
        pass
    for kind in args.db or ["sqlite", "postgresql"]:
        asyncio.run(run(kind, args))


if __name__ == "__main__":
    main()
