"""Package chunks for the device transports (MQTT, HTTP and CoAP share this).

A chunk is ``[index*size, (index+1)*size)`` of the device's effective package, read from
the content store at that offset; past the end it is empty; size 0 means the whole image (spec
device-api §2.13, §3, §4), which is streamed (:meth:`OtaDownloads.stream`) or read in
blocks (:meth:`OtaDownloads.read`), never read whole. The transports only translate the
errors below into their own codes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

from industryos.devices.ota.content import PackageContent
from industryos.devices.ota.errors import (
    ChunkTooLarge,
    ContentMissing,
    PackageMismatch,
    PackageNotAssigned,
)
from industryos.devices.ota.model import OtaPackageInfo
from industryos.devices.ota.resolve import PackageResolver
from industryos.devices.ota.wire import OtaPackageType

__all__ = ["OtaDownloads"]

log = logging.getLogger(__name__)


class OtaDownloads:
    """Finds a device's package and reads its chunks."""

    def __init__(self, resolver: PackageResolver, content: PackageContent) -> None:
        self._resolver = resolver
        self._content = content

    async def package(
        self,
        device_id: uuid.UUID,
        kind: OtaPackageType,
        *,
        title: str | None = None,
        version: str | None = None,
    ) -> OtaPackageInfo:
        """The package the device may download; ``title``/``version`` must match if given."""
        package = await self._resolver.effective(device_id, kind)
        if package is None or not package.downloadable or package.id is None:
            raise PackageNotAssigned(f"no {kind.value.lower()} assigned")
        if title is not None and title != package.title:
            raise PackageMismatch(f"title {title!r} is not the assigned {package.title!r}")
        if version is not None and version != package.version:
            raise PackageMismatch(f"version {version!r} is not the assigned {package.version!r}")
        return package

    @staticmethod
    def span(package: OtaPackageInfo, size: int, index: int) -> tuple[int, int]:
        """Offset and length of chunk ``index`` of ``size`` bytes (size 0: everything)."""
        total = package.data_size or 0
        if size <= 0:
            return (0, total) if index == 0 else (total, 0)
        offset = index * size
        return offset, max(0, min(size, total - offset))

    @staticmethod
    def check_size(size: int, index: int, max_size: int | None = None) -> None:
        """Refuse a negative request, or a chunk size over ``max_size`` (ChunkTooLarge)."""
        if size < 0 or index < 0:
            raise ValueError("chunk size and index must not be negative")
        if max_size is not None and size > max_size:
            raise ChunkTooLarge(f"chunk size {size} is over {max_size}")

    async def chunk(
        self, package: OtaPackageInfo, size: int, index: int, *, max_size: int | None = None
    ) -> bytes:
        """Chunk ``index`` as bytes (for transports that send it in one message)."""
        self.check_size(size, index, max_size)
        offset, length = self.span(package, size, index)
        return await self.read(package, offset, length)

    async def read(self, package: OtaPackageInfo, offset: int, length: int) -> bytes:
        """``length`` bytes of the image from ``offset`` (a CoAP block of a chunk)."""
        assert package.id is not None
        try:
            return await self._content.read(package.id, offset, length)
        except ContentMissing:
            log.error("content of package %s is missing from its store", package.id)
            raise PackageNotAssigned("the package's content is missing") from None

    def stream(self, package: OtaPackageInfo, size: int, index: int) -> AsyncIterator[bytes]:
        """Chunk ``index`` as blocks (HTTP and MQTT send a whole image without holding it)."""
        offset, length = self.span(package, size, index)
        assert package.id is not None
        return self._content.stream(package.id, offset, length)
