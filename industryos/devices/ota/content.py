"""Package content as files in the data dir: streamed in, read back at an offset.

One file per package, ``<data_dir>/ota/<package id>.bin``, in every storage mode (also
with PostgreSQL: the content never passes through the database driver, and a download
is a ``pread`` at an offset). An upload is written to its own ``<id>.<random>.part``
while its checksum runs, then renamed into place, so a failed or refused upload leaves
nothing behind.
Disk I/O runs in worker threads so the event loop keeps serving devices.

Debt: in a cluster every node needs the same data dir (a shared volume); content in
PostgreSQL large objects would lift that and is not done.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from industryos.devices.ota.checksums import new_digest
from industryos.devices.ota.wire import ChecksumAlgorithm

__all__ = ["ContentStore", "StoredContent"]

STREAM_BLOCK = 256 * 1024
"""Bytes per read when a whole range is streamed (REST download, HTTP size 0)."""


@dataclass(frozen=True, slots=True)
class StoredContent:
    """What an upload produced: its size, checksum and the part file holding it."""

    size: int
    checksum: str
    part: Path


class ContentStore:
    """Reads and writes package files under ``root``."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def path(self, package_id: uuid.UUID) -> Path:
        """Where the content of ``package_id`` lives."""
        return self._root / f"{package_id}.bin"

    async def write(
        self,
        package_id: uuid.UUID,
        chunks: AsyncIterator[bytes],
        algorithm: ChecksumAlgorithm,
    ) -> StoredContent:
        """Stream ``chunks`` to a part file with its checksum; :meth:`commit` keeps it.

        Each upload has its own part file, so two racing uploads cannot mix their bytes.
        """
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True)
        part = self._root / f"{package_id}.{uuid.uuid4().hex}.part"
        digest = new_digest(algorithm)
        size = 0
        handle = await asyncio.to_thread(part.open, "wb")
        try:
            async for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(_flush, handle.fileno())
        except BaseException:
            handle.close()
            await asyncio.to_thread(part.unlink, True)
            raise
        handle.close()
        return StoredContent(size, digest.hexdigest(), part)

    async def commit(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Make the written part file the package's content."""
        await asyncio.to_thread(os.replace, stored.part, self.path(package_id))

    async def discard(self, stored: StoredContent) -> None:
        """Forget a written part file (refused upload)."""
        await asyncio.to_thread(stored.part.unlink, True)

    async def delete(self, package_id: uuid.UUID) -> None:
        """Remove the content of a deleted package (nothing if it had none)."""
        await asyncio.to_thread(self.path(package_id).unlink, True)

    async def read(self, package_id: uuid.UUID, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; empty past the end."""
        if length <= 0:
            return b""
        return await asyncio.to_thread(_pread, self.path(package_id), offset, length)

    async def stream(self, package_id: uuid.UUID, offset: int, length: int) -> AsyncIterator[bytes]:
        """``length`` bytes from ``offset`` in blocks (never the whole range at once)."""
        end = offset + length
        while offset < end:
            block = await self.read(package_id, offset, min(STREAM_BLOCK, end - offset))
            if not block:
                return
            offset += len(block)
            yield block


def _flush(fileno: int) -> None:
    os.fsync(fileno)


def _pread(path: Path, offset: int, length: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)
