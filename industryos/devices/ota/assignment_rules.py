"""Which package a device or device profile may point at (ThingsBoard's save-time checks).

``firmwareId`` / ``softwareId`` of a device or profile must name a package that exists in
the caller's tenant, has the matching type, has something to download (its content is
uploaded, or it is a URL package: ThingsBoard allows those without data) and belongs to the
same device profile as the device (or is the profile itself); anything else is refused with
400 before the save, in ThingsBoard's order and words.

Tenant isolation: another tenant's package id gets the same answer as an id that does not
exist, so the answer never tells whether a foreign id is real (ThingsBoard says "from
different tenant").

Debt: the checks run where the REST routes save (``/api/device``,
``/api/device-with-credentials``, ``/api/deviceProfile``); a save through the entity
services directly (first-start data, tests) is not checked. Bulk import assigns no package
(its columns have none). Once assigned, a package keeps its content or URL: content
cannot be replaced or removed, a URL cannot be changed (``packages.py``), and a used
package cannot be deleted.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from industryos.devices.ota.model import OtaPackageInfo
from industryos.devices.ota.wire import OtaPackageType
from industryos.entities.access import Caller
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import InvalidArgument
from industryos.entities.models import Authority, Device, DeviceProfile

__all__ = ["PackageFinder", "check_assignment", "check_device", "check_profile"]


class PackageFinder(Protocol):
    """Reads a package by id without caller checks (:class:`OtaPackages` is one)."""

    async def find(self, package_id: uuid.UUID) -> OtaPackageInfo | None:
        """The package, or None."""


async def check_device(
    packages: PackageFinder | None,
    devices: DeviceService,
    profiles: DeviceProfileService,
    caller: Caller,
    device: Device,
) -> None:
    """Check a device's package ids against the profile it will have once saved.

    Ownership comes first (another tenant's device is 403, not 400); a device without
    ``deviceProfileId`` gets the profile named by its ``type``, else the tenant default,
    as the device service resolves it.
    """
    if device.firmware_id is None and device.software_id is None:
        return
    caller.require(Authority.TENANT_ADMIN, Authority.CUSTOMER_USER)
    if device.id is not None:
        await devices.get(caller, device.id)
    profile_id = device.device_profile_id
    if profile_id is None and device.type:
        named = await profiles.names(caller, active_only=False)
        profile_id = next((p.id for p in named if p.name == device.type), None)
    elif profile_id is None:
        profile_id = (await profiles.default_of(caller)).id
    await check_assignment(
        packages, caller.tenant_id, profile_id, device.firmware_id, device.software_id
    )


async def check_profile(
    packages: PackageFinder | None,
    profiles: DeviceProfileService,
    caller: Caller,
    profile: DeviceProfile,
) -> None:
    """Check a profile's package ids: each must belong to this very profile."""
    if profile.firmware_id is None and profile.software_id is None:
        return
    caller.require(Authority.TENANT_ADMIN)
    if profile.id is not None:
        await profiles.get(caller, profile.id)
    await check_assignment(
        packages, caller.tenant_id, profile.id, profile.firmware_id, profile.software_id
    )


async def check_assignment(
    packages: PackageFinder | None,
    tenant_id: uuid.UUID | None,
    profile_id: uuid.UUID | None,
    firmware_id: uuid.UUID | None,
    software_id: uuid.UUID | None,
) -> None:
    """Raise :class:`InvalidArgument` unless both ids (when set) may be assigned.

    ``profile_id`` is the device's profile (or the profile being saved; None for a new
    one, which no package can belong to yet). ``packages`` None means the node runs no
    OTA service, so no id can name a package.
    """
    for kind, package_id in (
        (OtaPackageType.FIRMWARE, firmware_id),
        (OtaPackageType.SOFTWARE, software_id),
    ):
        if package_id is not None:
            await _check_one(packages, tenant_id, profile_id, kind, package_id)


async def _check_one(
    packages: PackageFinder | None,
    tenant_id: uuid.UUID | None,
    profile_id: uuid.UUID | None,
    kind: OtaPackageType,
    package_id: uuid.UUID,
) -> None:
    name = kind.value.lower()
    package = await packages.find(package_id) if packages is not None else None
    if package is None or tenant_id is None or package.tenant_id != tenant_id:
        raise InvalidArgument(f"Can't assign non-existent {name}!")
    if package.type is not kind:
        raise InvalidArgument(f"Can't assign {name} with type: {package.type.value}")
    if not package.has_data and not package.url:
        raise InvalidArgument(f"Can't assign {name} with empty data!")
    if profile_id is None or package.device_profile_id != profile_id:
        raise InvalidArgument(f"Can't assign {name} with different deviceProfile!")
