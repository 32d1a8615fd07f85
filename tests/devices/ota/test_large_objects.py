"""The content stores behind one interface: ranged reads, commit, discard, delete.

Each test runs on both engines, over the store the stack picks for it (files on SQLite,
large objects on PostgreSQL); the large-object specifics (no object after a failed
upload) are checked in the catalog.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.ota.content import STREAM_BLOCK, ContentStore, PackageContent
from industryos.devices.ota.errors import ContentMissing
from industryos.devices.ota.large_objects import LargeObjectStore
from industryos.devices.ota.wire import ChecksumAlgorithm
from industryos.storage.engine import is_sqlite

DATA = os.urandom(2 * STREAM_BLOCK + 12_345)


class BrokenUpload(Exception):
    """The client went away half-way through its upload."""


@pytest.fixture
def store(engine: AsyncEngine, tmp_path: Path) -> PackageContent:
    if is_sqlite(engine):
        return ContentStore(tmp_path / "ota")
    return LargeObjectStore(engine)


async def _chunks(
    data: bytes, block: int, *, fail_after: int | None = None
) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), block):
        if fail_after is not None and offset >= fail_after:
            raise BrokenUpload()
        yield data[offset : offset + block]


async def _leftovers(engine: AsyncEngine, tmp_path: Path) -> list[object]:
    """Whatever content exists: files in the data dir and large objects."""
    folder = tmp_path / "ota"
    found: list[object] = []
    if folder.exists():
        found += sorted(p.name for p in folder.iterdir())
    if not is_sqlite(engine):
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT oid FROM pg_largeobject_metadata"))
            found += [row[0] for row in rows]
    return found


@pytest.mark.parametrize("block", [1000, STREAM_BLOCK, 3 * STREAM_BLOCK])
async def test_written_content_reads_back_by_range(store: PackageContent, block: int) -> None:
    package_id = uuid.uuid4()
    stored = await store.write(package_id, _chunks(DATA, block), ChecksumAlgorithm.SHA256)
    assert stored.size == len(DATA)
    assert stored.checksum == hashlib.sha256(DATA).hexdigest()
    await store.commit(package_id, stored)
    assert await store.read(package_id, 0, 10) == DATA[:10]
    assert (
        await store.read(package_id, STREAM_BLOCK - 3, 7)
        == DATA[STREAM_BLOCK - 3 : STREAM_BLOCK + 4]
    )
    assert await store.read(package_id, len(DATA) - 5, 100) == DATA[-5:]
    assert await store.read(package_id, len(DATA) + 1, 100) == b""
    assert await store.read(package_id, 0, len(DATA)) == DATA
    streamed = [b async for b in store.stream(package_id, 1, len(DATA) - 1)]
    assert b"".join(streamed) == DATA[1:]
    assert max(len(b) for b in streamed) <= STREAM_BLOCK


async def test_failed_upload_leaves_nothing(
    store: PackageContent, engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await _leftovers(engine, tmp_path)
    broken = _chunks(DATA, 100_000, fail_after=STREAM_BLOCK + 1)
    with pytest.raises(BrokenUpload):
        await store.write(uuid.uuid4(), broken, ChecksumAlgorithm.MD5)
    assert await _leftovers(engine, tmp_path) == before


async def test_discard_and_delete_remove_the_content(
    store: PackageContent, engine: AsyncEngine, tmp_path: Path
) -> None:
    before = await _leftovers(engine, tmp_path)
    refused_id = uuid.uuid4()
    refused = await store.write(refused_id, _chunks(DATA, 50_000), ChecksumAlgorithm.CRC32)
    assert await _leftovers(engine, tmp_path) != before
    await store.discard(refused_id, refused)
    assert await _leftovers(engine, tmp_path) == before

    package_id = uuid.uuid4()
    await store.commit(
        package_id, await store.write(package_id, _chunks(DATA, 9000), ChecksumAlgorithm.SHA512)
    )
    await store.delete(package_id)
    assert await _leftovers(engine, tmp_path) == before
    committed = await store.write(package_id, _chunks(DATA, 9000), ChecksumAlgorithm.SHA384)
    await store.commit(package_id, committed)
    await store.discard(package_id, committed)  # the claim failed after the commit
    assert await _leftovers(engine, tmp_path) == before
    with pytest.raises(ContentMissing):
        await store.read(package_id, 0, 10)
    await store.delete(package_id)  # deleting twice is harmless
