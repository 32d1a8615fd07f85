"""OTA wire constants (spec device-api §2.13, platform-api §3.10): types, algorithms, keys.

The shared-attribute and telemetry key names are ThingsBoard's; the ``fw_`` / ``sw_``
prefix is the only difference between firmware and software, so every key is built from
:class:`OtaPackageType` through :class:`OtaKeys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ChecksumAlgorithm", "OtaKeys", "OtaPackageType", "OtaUpdateState", "keys_of"]


class OtaPackageType(StrEnum):
    """What a package updates."""

    FIRMWARE = "FIRMWARE"
    SOFTWARE = "SOFTWARE"

    @property
    def prefix(self) -> str:
        """The key and topic prefix: ``fw`` or ``sw``."""
        return "fw" if self is OtaPackageType.FIRMWARE else "sw"


class ChecksumAlgorithm(StrEnum):
    """Checksum algorithms a package may declare (values are lowercase hex on the wire)."""

    MD5 = "MD5"
    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"
    CRC32 = "CRC32"
    MURMUR3_32 = "MURMUR3_32"
    MURMUR3_128 = "MURMUR3_128"


class OtaUpdateState(StrEnum):
    """``fw_state`` / ``sw_state`` values: set by the server, then reported by the device."""

    QUEUED = "QUEUED"
    INITIATED = "INITIATED"
    DOWNLOADING = "DOWNLOADING"
    DOWNLOADED = "DOWNLOADED"
    VERIFIED = "VERIFIED"
    UPDATING = "UPDATING"
    UPDATED = "UPDATED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class OtaKeys:
    """Every attribute and telemetry key of one package type."""

    title: str
    version: str
    tag: str
    size: str
    checksum_algorithm: str
    checksum: str
    url: str
    state: str
    error: str
    current_title: str
    current_version: str
    target_title: str
    target_version: str
    target_ts: str

    @property
    def shared(self) -> tuple[str, ...]:
        """The shared attributes an assignment sets (and an unassignment deletes)."""
        return (
            self.title,
            self.version,
            self.tag,
            self.size,
            self.checksum_algorithm,
            self.checksum,
            self.url,
        )

    @property
    def status(self) -> tuple[str, ...]:
        """The telemetry keys that make up a device's update status."""
        return (
            self.state,
            self.error,
            self.current_title,
            self.current_version,
            self.target_title,
            self.target_version,
            self.target_ts,
        )


def _keys(prefix: str) -> OtaKeys:
    return OtaKeys(
        title=f"{prefix}_title",
        version=f"{prefix}_version",
        tag=f"{prefix}_tag",
        size=f"{prefix}_size",
        checksum_algorithm=f"{prefix}_checksum_algorithm",
        checksum=f"{prefix}_checksum",
        url=f"{prefix}_url",
        state=f"{prefix}_state",
        error=f"{prefix}_error",
        current_title=f"current_{prefix}_title",
        current_version=f"current_{prefix}_version",
        target_title=f"target_{prefix}_title",
        target_version=f"target_{prefix}_version",
        target_ts=f"target_{prefix}_ts",
    )


_KEYS = {kind: _keys(kind.prefix) for kind in OtaPackageType}


def keys_of(kind: OtaPackageType) -> OtaKeys:
    """The keys of ``kind`` (``fw_*`` or ``sw_*``)."""
    return _KEYS[kind]
