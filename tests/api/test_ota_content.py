"""Where uploaded OTA content lives: large objects on PostgreSQL, files on SQLite.

On PostgreSQL the data dir's ``ota`` folder stays empty (cluster nodes share no disk): an
upload becomes one large object named in ``ota_package_content``, a delete unlinks it, and
a refused upload (checksum mismatch) leaves no object behind. On SQLite the same steps
leave one file, then none, and the mapping table stays empty.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.ota.schema import ota_package_content
from industryos.storage.engine import is_sqlite
from tests.api.checks import assert_error
from tests.api.conftest import Platform
from tests.api.test_ota import admin, default_profile, new_package, upload

__all__ = ["admin"]  # the fixture, shared with test_ota

CONTENT = os.urandom(700_000)  # more than two 256 KiB blocks


async def _objects(engine: AsyncEngine) -> set[int]:
    """The oids of every large object in the database (none on SQLite)."""
    if is_sqlite(engine):
        return set()
    async with engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT oid::bigint FROM pg_largeobject_metadata"))
        return {row[0] for row in rows}


async def _mapped(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(ota_package_content))
        return {str(package_id): oid for package_id, oid in rows}


def _files(tmp_path: Path) -> list[str]:
    folder = tmp_path / "ota"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def test_content_store_follows_the_engine(
    admin: httpx.AsyncClient, platform: Platform, engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await _objects(engine)
    profile = await default_profile(admin)
    package = await new_package(admin, profile)
    package_id = package["id"]["id"]
    stored = await upload(admin, package_id, data=CONTENT)
    assert stored.status_code == 200, stored.text
    download = await admin.get(f"/api/otaPackage/{package_id}/download")
    assert download.content == CONTENT
    mapped = await _mapped(engine)
    if is_sqlite(engine):
        assert _files(tmp_path) == [f"{package_id}.bin"] and mapped == {}
    else:
        assert _files(tmp_path) == []
        assert set(mapped) == {package_id}
        assert await _objects(engine) - before == {mapped[package_id]}

    deleted = await admin.delete(f"/api/otaPackage/{package_id}")
    assert deleted.status_code == 200, deleted.text
    assert _files(tmp_path) == [] and await _mapped(engine) == {}
    assert await _objects(engine) == before


@pytest.mark.parametrize("size", [0, 100, 600_000])
async def test_refused_upload_leaves_nothing(
    admin: httpx.AsyncClient, engine: AsyncEngine, tmp_path: Path, size: int
) -> None:
    before = await _objects(engine)
    package = await new_package(admin, await default_profile(admin))
    data = os.urandom(size)
    wrong = hashlib.sha256(data + b"x").hexdigest()
    refused = await upload(admin, package["id"]["id"], data=data, checksum=wrong)
    assert_error(refused, 400, 31)
    assert _files(tmp_path) == [] and await _mapped(engine) == {}
    assert await _objects(engine) == before
    accepted = await upload(admin, package["id"]["id"], data=data)  # the package is still free
    assert accepted.status_code == 200, accepted.text
    download = await admin.get(f"/api/otaPackage/{package['id']['id']}/download")
    assert download.content == data
