"""Package content: the store interface, and its file implementation for the embedded mode.

:class:`PackageContent` is what packages and downloads use: an upload is streamed in with
its checksum (:meth:`~PackageContent.write`), then kept (``commit``) or dropped
(``discard``); downloads read a range at an offset, in bounded blocks, never a whole image.
Two stores implement it, chosen by the database dialect in ``stack.py``: this module's
:class:`ContentStore` (files in the data dir, SQLite mode) and ``large_objects.py``
(PostgreSQL large objects, so cluster nodes share no disk).

The file store keeps one file per package, ``<data_dir>/ota/<package id>.bin``; a download
is a ``pread`` at an offset. An upload is written to its own ``<id>.<random>.part`` while
its checksum runs, then renamed into place, so a failed or refused upload leaves nothing
behind. Disk I/O runs in worker threads so the event loop keeps serving devices.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from industryos.devices.ota.checksums import new_digest
from industryos.devices.ota.errors import ContentMissing
from industryos.devices.ota.wire import ChecksumAlgorithm

__all__ = ["STREAM_BLOCK", "ContentStore", "PackageContent", "StoredContent"]

STREAM_BLOCK = 256 * 1024
"""Bytes per read when a whole range is streamed (REST download, HTTP size 0), and the
most a store holds of an upload at once."""


@dataclass(frozen=True, slots=True)
class StoredContent:
    """What an upload produced: its size, checksum and the store's handle on the bytes.

    ``ref`` is opaque outside the store that wrote it: a part file's path, or an oid.
    """

    size: int
    checksum: str
    ref: str


class PackageContent(ABC):
    """Where package content lives; every read and write is bounded by ``STREAM_BLOCK``."""

    @abstractmethod
    async def write(
        self,
        package_id: uuid.UUID,
        chunks: AsyncIterator[bytes],
        algorithm: ChecksumAlgorithm,
    ) -> StoredContent:
        """Stream ``chunks`` in with their checksum; nothing is left if this raises."""

    @abstractmethod
    async def commit(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Make the written content the package's content."""

    @abstractmethod
    async def discard(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Forget written content (refused upload), committed or not."""

    @abstractmethod
    async def delete(self, package_id: uuid.UUID) -> None:
        """Remove the content of a deleted package (nothing if it had none)."""

    @abstractmethod
    async def read(self, package_id: uuid.UUID, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; empty past the end; ContentMissing."""

    async def stream(self, package_id: uuid.UUID, offset: int, length: int) -> AsyncIterator[bytes]:
        """``length`` bytes from ``offset`` in blocks (never the whole range at once)."""
        end = offset + length
        while offset < end:
            block = await self.read(package_id, offset, min(STREAM_BLOCK, end - offset))
            if not block:
                return
            offset += len(block)
            yield block


class ContentStore(PackageContent):
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
        return StoredContent(size, digest.hexdigest(), str(part))

    async def commit(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Make the written part file the package's content."""
        await asyncio.to_thread(os.replace, stored.ref, self.path(package_id))

    async def discard(self, package_id: uuid.UUID, stored: StoredContent) -> None:
        """Forget a written part file, or the package file it was committed as."""
        await asyncio.to_thread(_discard, Path(stored.ref), self.path(package_id))

    async def delete(self, package_id: uuid.UUID) -> None:
        """Remove the content of a deleted package (nothing if it had none)."""
        await asyncio.to_thread(self.path(package_id).unlink, True)

    async def read(self, package_id: uuid.UUID, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``; empty past the end."""
        if length <= 0:
            return b""
        try:
            return await asyncio.to_thread(_pread, self.path(package_id), offset, length)
        except FileNotFoundError:
            raise ContentMissing(f"{self.path(package_id)} is missing") from None


def _flush(fileno: int) -> None:
    os.fsync(fileno)


def _discard(part: Path, committed: Path) -> None:
    try:
        part.unlink()
    except FileNotFoundError:  # no part file: this upload was committed, so it is the file
        committed.unlink(missing_ok=True)


def _pread(path: Path, offset: int, length: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, length, offset)
    finally:
        os.close(fd)
