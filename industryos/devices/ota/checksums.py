"""Streaming checksums of package content, in the text form devices compare against.

Digests are fed chunk by chunk while an upload is written to disk, so no package is
ever held whole in memory. Values are lowercase hex. The hash-family algorithms give
their digest bytes; CRC32 and the MurmurHash3 variants give the hash's bytes in
little-endian order, the form ThingsBoard produces and the SDK's ``verify_checksum``
rebuilds by reversing the big-endian hex (spec device-api §2.13).

Known SDK quirk: for CRC32 and MURMUR3_32 the SDK pads the big-endian hex to 2 digits
only, so a hash whose top byte is 0 (1 in 256) fails its check; ThingsBoard has the same
outcome. Prefer SHA256.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from typing import Protocol

import mmh3

from industryos.devices.ota.wire import ChecksumAlgorithm

__all__ = ["Digest", "checksum_of", "new_digest", "normalize"]


class Digest(Protocol):
    """A running checksum: feed chunks, then read the hex text."""

    def update(self, data: bytes) -> None:
        """Add the next chunk."""
        ...

    def hexdigest(self) -> str:
        """The checksum of everything fed so far, as devices compare it."""
        ...


class _Crc32:
    def __init__(self) -> None:
        self._value = 0

    def update(self, data: bytes) -> None:
        self._value = zlib.crc32(data, self._value)

    def hexdigest(self) -> str:
        return (self._value & 0xFFFFFFFF).to_bytes(4, "little").hex()


class _Murmur:
    def __init__(self, hasher: mmh3.mmh3_32 | mmh3.mmh3_x64_128) -> None:
        self._hasher = hasher

    def update(self, data: bytes) -> None:
        self._hasher.update(data)

    def hexdigest(self) -> str:
        return self._hasher.digest().hex()


_FACTORIES: dict[ChecksumAlgorithm, Callable[[], Digest]] = {
    ChecksumAlgorithm.MD5: hashlib.md5,
    ChecksumAlgorithm.SHA256: hashlib.sha256,
    ChecksumAlgorithm.SHA384: hashlib.sha384,
    ChecksumAlgorithm.SHA512: hashlib.sha512,
    ChecksumAlgorithm.CRC32: _Crc32,
    ChecksumAlgorithm.MURMUR3_32: lambda: _Murmur(mmh3.mmh3_32()),
    ChecksumAlgorithm.MURMUR3_128: lambda: _Murmur(mmh3.mmh3_x64_128()),
}


def new_digest(algorithm: ChecksumAlgorithm) -> Digest:
    """A fresh running checksum of ``algorithm``."""
    return _FACTORIES[algorithm]()


def checksum_of(algorithm: ChecksumAlgorithm, data: bytes) -> str:
    """The checksum of ``data`` in one go (tests, small payloads)."""
    digest = new_digest(algorithm)
    digest.update(data)
    return digest.hexdigest()


def normalize(checksum: str) -> str:
    """A caller-given checksum as compared: trimmed, lowercase."""
    return checksum.strip().lower()
