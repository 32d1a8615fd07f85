"""First-start data: the accounts (hashed together) and the demo tenant, once only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.config import load_settings
from industryos.demo import (
    CUSTOMER_USER_EMAIL,
    CUSTOMER_USER_PASSWORD,
    DEMO_ASSET,
    DEMO_DEVICES,
    SYSADMIN_EMAIL,
    SYSADMIN_PASSWORD,
    TENANT_ADMIN_EMAIL,
    TENANT_ADMIN_PASSWORD,
)
from industryos.entities.models import Authority
from industryos.node import Core, build_core
from industryos.storage import schema
from industryos.storage.database import Database
from tests.support.recording import RecordingPublisher


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Core]:
    settings = load_settings(data_dir=tmp_path, jwt_secret="t" * 64)
    core = build_core(Database(engine), settings, RecordingPublisher())
    yield core
    await core.stop()  # the demo's devices set off OTA attribute refreshes


async def _rows(engine: AsyncEngine, table: sa.Table) -> int:
    async with engine.connect() as conn:
        count = (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar()
    assert count is not None
    return int(count)


async def test_demo_accounts_tenant_and_entities_are_created_once(
    engine: AsyncEngine, core: Core
) -> None:
    await core.bootstrap().run(demo=True)
    sysadmin = await core.users.authenticate(SYSADMIN_EMAIL, SYSADMIN_PASSWORD)
    admin = await core.users.authenticate(TENANT_ADMIN_EMAIL, TENANT_ADMIN_PASSWORD)
    customer_user = await core.users.authenticate(CUSTOMER_USER_EMAIL, CUSTOMER_USER_PASSWORD)
    assert sysadmin.authority is Authority.SYS_ADMIN
    assert admin.authority is Authority.TENANT_ADMIN and admin.tenant_id is not None
    assert customer_user.authority is Authority.CUSTOMER_USER
    assert customer_user.tenant_id == admin.tenant_id and customer_user.customer_id is not None
    async with engine.connect() as conn:
        hashes = (await conn.execute(sa.select(schema.user_credentials.c.password_hash))).all()
        devices = (await conn.execute(sa.select(schema.device.c.name))).scalars().all()
        assets = (await conn.execute(sa.select(schema.asset.c.name))).scalars().all()
    assert len({h for (h,) in hashes}) == 3  # one salted hash per account
    assert sorted(devices) == sorted(DEMO_DEVICES)
    assert assets == [DEMO_ASSET]
    counts = {t.name: await _rows(engine, t) for t in (schema.user, schema.relation)}
    assert counts == {"tb_user": 3, "relation": len(DEMO_DEVICES)}
    await core.bootstrap().run(demo=True)  # users exist: nothing more
    assert {t.name: await _rows(engine, t) for t in (schema.user, schema.relation)} == counts
    assert await _rows(engine, schema.tenant) == 1


async def test_without_demo_only_the_sysadmin_is_created(engine: AsyncEngine, core: Core) -> None:
    await core.bootstrap().run(demo=False)
    assert (await core.users.authenticate(SYSADMIN_EMAIL, SYSADMIN_PASSWORD)).email == (
        SYSADMIN_EMAIL
    )
    assert await _rows(engine, schema.user) == 1
    assert await _rows(engine, schema.tenant) == 0
