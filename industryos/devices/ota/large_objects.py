"""Package content as PostgreSQL large objects, so cluster nodes share no data dir.

An upload runs in one transaction on a raw asyncpg connection: ``lo_create(0)``, then
``lo_put`` of blocks of at most ``STREAM_BLOCK`` bytes at growing offsets, with the
checksum computed on the way. If the upload fails half-way (the client goes away, the
body is refused), the transaction rolls back and the object never existed. A written but
refused upload (checksum mismatch, tenant limit) is unlinked by :meth:`discard`.
:meth:`commit` records ``package id -> oid`` in ``ota_package_content``; reads are
``lo_get(oid, offset, length)`` through that row, one bounded range per query.

Limits: the upload holds one pooled connection (and its transaction) for as long as the
client takes to send the body; uploads are rare admin actions, so this is accepted. A
node killed between :meth:`commit` and the package's claim committing leaves an object
that no package row claims (``ota_package_content`` still names it, so it can be found).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.ota.checksums import new_digest
from industryos.devices.ota.content import STREAM_BLOCK, PackageContent, StoredContent
from industryos.devices.ota.errors import ContentMissing
from industryos.devices.ota.wire import ChecksumAlgorithm

__all__ = ["LargeObjectStore"]

_READ = "SELECT lo_get(lo_oid::oid, $2, $3) FROM ota_package_content WHERE package_id = $1"
_COMMIT = "INSERT INTO ota_package_content (package_id, lo_oid) VALUES ($1, $2)"
_DISCARD = (
    "WITH gone AS (DELETE FROM ota_package_content WHERE lo_oid = $1)"
    " SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = $1::oid"
)
_DELETE = (
    "WITH gone AS (DELETE FROM ota_package_content WHERE package_id = $1 RETURNING lo_oid)"
    " SELECT lo_unlink(m.oid) FROM gone JOIN pg_largeobject_metadata m"
    " ON m.oid = gone.lo_oid::oid"
)


class LargeObjectStore(PackageContent):
    """Reads and writes package content as large objects in the node's PostgreSQL."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._engine.connect() as conn:
            raw = await conn.get_raw_connection()
            yield raw.driver_connection

    async def write(
        self,
        package_id: uuid.UUID,
        chunks: AsyncIterator[bytes],
        algorithm: ChecksumAlgorithm,
    ) -> StoredContent:
        """Stream ``chunks`` into a new large object; :meth:`commit` ties it to the package."""
        digest = new_digest(algorithm)
        size = 0
        async with self._connection() as pg, pg.transaction():
            oid: int = await pg.fetchval("SELECT lo_create(0)")
            async for block in _blocks(chunks):
                digest.update(block)
                await pg.execute("SELECT lo_put($1, $2, $3)", oid, size, block)
                size += len(block)
        return StoredContent(size, digest.hexdigest(), str(oid))

    async def commit(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Record the written object as the package's content."""
        async with self._connection() as pg:
            await pg.execute(_COMMIT, package_id, int(stored.ref))

    async def discard(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Unlink a written object (and its row, if it was committed)."""
        async with self._connection() as pg:
            await pg.execute(_DISCARD, int(stored.ref))

    async def delete(self, package_id: uuid.UUID) -> None:
        """Unlink the object of a deleted package (nothing if it had none)."""
        async with self._connection() as pg:
            await pg.execute(_DELETE, package_id)

    async def read(self, package_id: uuid.UUID, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; empty past the end."""
        if length <= 0:
            return b""
        async with self._connection() as pg:
            try:
                rows = await pg.fetch(_READ, package_id, offset, length)
            except asyncpg.UndefinedObjectError:  # the row outlived its object
                rows = []
        if not rows:
            raise ContentMissing(f"package {package_id} has no large object")
        data: bytes = rows[0][0]
        return data


async def _blocks(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``chunks`` regrouped into blocks of at most ``STREAM_BLOCK`` bytes (fewer round trips)."""
    pending = bytearray()
    async for chunk in chunks:
        view = memoryview(chunk)
        while view:
            take = STREAM_BLOCK - len(pending)
            pending += view[:take]
            view = view[take:]
            if len(pending) == STREAM_BLOCK:
                yield bytes(pending)
                pending.clear()
    if pending:
        yield bytes(pending)
