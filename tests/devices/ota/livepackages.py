"""Packages on a live node: create, upload and assign through the node's own services."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from typing import Any

from industryos.devices.ota.model import OtaPackageInfo, SaveOtaPackageInfoRequest
from industryos.devices.ota.packages import Upload
from industryos.devices.ota.wire import ChecksumAlgorithm, OtaPackageType
from industryos.entities.models import Device
from tests.transport.mqtt.device.livenode import LiveNode

MIB = 1024 * 1024


def firmware_bytes(size: int = MIB) -> bytes:
    """Random content (so a wrong offset cannot go unnoticed)."""
    return os.urandom(size)


async def _chunks(data: bytes, block: int = 200_000) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), block):
        yield data[offset : offset + block]


def create_package(
    live: LiveNode,
    data: bytes,
    *,
    title: str,
    version: str,
    kind: OtaPackageType = OtaPackageType.FIRMWARE,
    profile_id: Any = None,
) -> OtaPackageInfo:
    """A package of the test tenant's default profile with ``data`` as its content."""
    core = live.core
    assert live.admin is not None
    if profile_id is None:
        profile_id = live.run(core.device_profiles.default_of(live.admin)).id
    request = SaveOtaPackageInfoRequest(
        title=title, version=version, type=kind, device_profile_id=profile_id
    )
    info: OtaPackageInfo = live.run(core.ota.packages.save(live.admin, request))
    upload = Upload(f"{title}.bin", "application/octet-stream", _chunks(data))
    stored: OtaPackageInfo = live.run(
        core.ota.packages.upload(live.admin, info.id, ChecksumAlgorithm.SHA256, None, upload)
    )
    assert stored.checksum == hashlib.sha256(data).hexdigest()
    return stored


def assign(live: LiveNode, device: Device, package: OtaPackageInfo | None, column: str) -> Device:
    """Set the device's ``firmware_id`` / ``software_id`` and wait for its attributes."""
    assert live.admin is not None
    stored = live.run(live.core.devices.get(live.admin, device.id))
    updated = stored.model_copy(update={column: package.id if package else None})
    saved: Device = live.run(live.core.devices.save(live.admin, updated))
    live.run(live.core.ota.assignments.wait_idle())
    return saved
