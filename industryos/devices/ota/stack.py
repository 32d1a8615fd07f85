"""Builds the OTA services over the core and wires them to the entity services' events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from industryos.devices.ota.assignments import OtaAssignments
from industryos.devices.ota.content import ContentStore, PackageContent
from industryos.devices.ota.downloads import OtaDownloads
from industryos.devices.ota.large_objects import LargeObjectStore
from industryos.devices.ota.packages import OtaPackages
from industryos.devices.ota.resolve import PackageResolver
from industryos.devices.ota.status import OtaStatus
from industryos.entities.audit_service import AuditService
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.device_service import DeviceService
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.storage.database import Database
from industryos.telemetry.service import TelemetryService

__all__ = ["Ota"]

_CONTENT_STORES: dict[str, Callable[[Database, Path], PackageContent]] = {
    "sqlite": lambda db, data_dir: ContentStore(data_dir / "ota"),
    "postgresql": lambda db, data_dir: LargeObjectStore(db.engine),
}
"""The content store of each database dialect: files in the data dir, or large objects."""


@dataclass(frozen=True, slots=True)
class Ota:
    """Every OTA service of one node."""

    packages: OtaPackages
    resolver: PackageResolver
    assignments: OtaAssignments
    downloads: OtaDownloads
    status: OtaStatus

    @classmethod
    def build(
        cls,
        db: Database,
        telemetry: TelemetryService,
        audit: AuditService,
        devices: DeviceService,
        profiles: DeviceProfileService,
        data_dir: Path,
        *,
        limits: TenantLimitsService | None = None,
    ) -> Ota:
        """Content in the dialect's store; listens to device, profile and package changes."""
        content = _CONTENT_STORES[db.engine.dialect.name](db, data_dir)
        packages = OtaPackages(db, content, audit, limits=limits)
        resolver = PackageResolver(db, packages)
        assignments = OtaAssignments(db, telemetry, resolver)
        devices.on_device_changed(assignments.device_changed)
        devices.on_device_created(assignments.device_created)
        profiles.on_profile_changed(assignments.profile_changed)
        packages.on_package_changed(assignments.package_changed)
        return cls(
            packages=packages,
            resolver=resolver,
            assignments=assignments,
            downloads=OtaDownloads(resolver, content),
            status=OtaStatus(db, telemetry, resolver, devices, profiles),
        )
