"""Runs time-series retention periodically, with each tenant's TTL from its profile.

Retention itself (dropping partitions, deleting rows) is ``storage/timeseries/retention.py``;
this job only decides when, and with which per-tenant TTLs (a tenant profile's
``defaultStorageTtlDays``, else the node's ``ts_default_ttl_days``; 0 keeps forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError

from industryos.storage.timeseries.retention import RetentionReport, TsRetention

log = logging.getLogger(__name__)

TenantTtls = Callable[[], Awaitable[Mapping[uuid.UUID, int]]]


class RetentionJob:
    """Calls retention every ``interval_s`` seconds (first run shortly after start)."""

    def __init__(
        self,
        retention: TsRetention,
        tenant_ttls: TenantTtls,
        *,
        interval_s: float = 3600.0,
        first_delay_s: float = 60.0,
    ) -> None:
        self._retention = retention
        self._tenant_ttls = tenant_ttls
        self._interval_s = interval_s
        self._first_delay_s = first_delay_s
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> RetentionReport:
        """One retention pass with the current per-tenant TTLs."""
        report = await self._retention.run(await self._tenant_ttls())
        log.info("time-series retention: %s", report)
        return report

    def start(self) -> None:
        """Start the periodic runs."""
        self._task = asyncio.create_task(self._loop(), name="ts-retention")

    async def stop(self) -> None:
        """Stop; a pass in progress is cancelled (it is safe to repeat later)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        await asyncio.sleep(self._first_delay_s)
        while True:
            try:
                await self.run_once()
            except (SQLAlchemyError, OSError) as exc:
                log.error("time-series retention failed, retrying next run: %s", exc)
            await asyncio.sleep(self._interval_s)
