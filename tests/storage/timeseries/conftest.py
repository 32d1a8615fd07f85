"""A started time-series storage on the per-test database of each engine."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.timeseries import TimeseriesStorage


@pytest.fixture
async def ts(engine: AsyncEngine) -> AsyncIterator[TimeseriesStorage]:
    """Key dictionary, writer (5 ms flushes), store and retention, writer running."""
    storage = TimeseriesStorage.create(engine, flush_interval_ms=5, batch_max_points=1000)
    await storage.writer.start()
    yield storage
    await storage.writer.stop()
