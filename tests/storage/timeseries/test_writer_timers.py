"""The batch writer under uvloop, whose timers may fire up to a millisecond early.

A lone write must still be committed (it once waited forever when the deadline timer fired
before the batch was due), and a caller that gives up must not break the batch for others.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path

import uvloop

from industryos.storage.engine import create_engine
from industryos.storage.migrate import upgrade
from industryos.storage.timeseries import TimeseriesStorage
from industryos.telemetry.kv import DataType, TsKvEntry


async def _scenario(db_file: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    await upgrade(engine)
    storage = TimeseriesStorage.create(
        engine, partition_days=7, flush_interval_ms=3, batch_max_points=1000, default_ttl_days=0
    )
    await storage.writer.start()
    tenant, device = uuid.uuid4(), uuid.uuid4()
    try:
        for ts in range(1, 60):
            entry = TsKvEntry(ts, "t", ts, DataType.LONG)
            async with asyncio.timeout(5):
                await storage.writer.write(tenant, device, [entry])
        # A caller cancelled while waiting must not spoil the shared batch.
        waiting = asyncio.create_task(
            storage.writer.write(tenant, device, [TsKvEntry(100, "t", 100, DataType.LONG)])
        )
        await asyncio.sleep(0)
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
        async with asyncio.timeout(5):
            await storage.writer.write(tenant, device, [TsKvEntry(101, "t", 101, DataType.LONG)])
        latest = await storage.store.latest(device, ["t"])
        assert [(e.ts, e.value) for e in latest] == [(101, 101)]
    finally:
        await storage.writer.stop()
        await engine.dispose()


def test_lone_writes_commit_under_uvloop(tmp_path: Path) -> None:
    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(_scenario(tmp_path / "ts.db"))
    finally:
        loop.close()
