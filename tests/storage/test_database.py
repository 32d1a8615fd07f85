"""Closing the database: a connection some part still holds is reported, not lost quietly."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.database import Database


async def test_closing_with_a_connection_in_use_logs_it(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(engine)
    conn = await engine.connect()
    try:
        await conn.execute(sa.text("SELECT 1"))
        with caplog.at_level(logging.WARNING, logger="industryos.storage.database"):
            await db.close()
        assert "closing the database with 1 connection(s) still in use" in caplog.text
    finally:
        await conn.invalidate()  # the disposed pool would keep it open: close it here
        await conn.close()


async def test_closing_after_every_connection_came_back_logs_nothing(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(engine)
    async with db.read() as conn:
        await conn.execute(sa.text("SELECT 1"))
    with caplog.at_level(logging.WARNING, logger="industryos.storage.database"):
        await db.close()
    assert caplog.records == []
