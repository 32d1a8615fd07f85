"""Retention runs with each tenant's TTL from its tenant profile (``defaultStorageTtlDays``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import now_ms
from industryos.telemetry.kv import DataType, TsKvEntry
from industryos.telemetry.retention_job import RetentionJob
from tests.support.core import CoreWithTenant, core_with_tenant

DAY_MS = 86_400_000


@pytest.fixture
async def env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[CoreWithTenant]:
    env = await core_with_tenant(engine, tmp_path)
    yield env
    await env.close()


async def _set_profile_ttl(env: CoreWithTenant, days: int) -> None:
    core = env.core
    async with core.db.transaction() as conn:
        tenant = await core.repos.tenants.get(conn, env.admin.tenant_id)
        assert tenant is not None and tenant.tenant_profile_id is not None
        profile = await core.repos.tenant_profiles.get(conn, tenant.tenant_profile_id)
        assert profile is not None
        data = {**profile.profile_data}
        data["configuration"] = {**data["configuration"], "defaultStorageTtlDays": days}
        await core.repos.tenant_profiles.update(
            conn, profile.model_copy(update={"profile_data": data, "version": None})
        )


async def test_tenant_profile_ttl_drives_retention(env: CoreWithTenant) -> None:
    core = env.core
    tenant, device = env.admin.tenant_id, uuid.uuid4()
    now = now_ms()
    old, recent = now - 10 * DAY_MS, now - DAY_MS // 2
    await core.telemetry.save_timeseries(
        tenant,
        device,
        [TsKvEntry(old, "t", 1, DataType.LONG), TsKvEntry(recent, "t", 2, DataType.LONG)],
    )
    job = RetentionJob(core.timeseries.retention, core.tenants.storage_ttl_days)

    assert await core.tenants.storage_ttl_days() == {}
    await job.run_once()  # the node default (365 days) keeps both points
    assert await _timestamps(env, device, now) == [old, recent]

    await _set_profile_ttl(env, 1)
    assert await core.tenants.storage_ttl_days() == {tenant: 1}
    await job.run_once()
    assert await _timestamps(env, device, now) == [recent]


async def _timestamps(env: CoreWithTenant, device: uuid.UUID, now: int) -> list[int]:
    from industryos.telemetry.query import Aggregation, TsQuery

    query = TsQuery("t", now - 30 * DAY_MS, now + 1, agg=Aggregation.NONE, limit=100)
    found = await env.core.telemetry.get_history(env.admin.tenant_id, device, [query])
    return sorted(point.ts for point in found.get("t", []))
