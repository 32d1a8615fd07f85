"""The REST shape of a package: ThingsBoard's ``OtaPackageInfo`` (content never inlined)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from industryos.devices.ota.wire import ChecksumAlgorithm, OtaPackageType
from industryos.entities.fields import DeviceProfileId, EntityRow, OtaPackageId, TenantId

__all__ = ["OtaPackageInfo", "SaveOtaPackageInfoRequest"]


class OtaPackageInfo(EntityRow):
    """A package's description; ``has_data`` once its content is stored."""

    id: OtaPackageId | None = None
    tenant_id: TenantId | None = None
    device_profile_id: DeviceProfileId | None = None
    type: OtaPackageType = OtaPackageType.FIRMWARE
    title: str = Field(min_length=1, max_length=255)
    version: str = Field(min_length=1, max_length=255)
    tag: str | None = Field(None, max_length=255)
    url: str | None = Field(None, max_length=1024)
    has_data: bool = False
    file_name: str | None = None
    content_type: str | None = None
    checksum_algorithm: ChecksumAlgorithm | None = None
    checksum: str | None = None
    data_size: int | None = None
    additional_info: Any = None
    external_id: OtaPackageId | None = None

    @property
    def downloadable(self) -> bool:
        """A device can fetch it from us (content stored, not a URL package)."""
        return self.has_data and not self.url

    @property
    def download_name(self) -> str:
        """The file name for download headers: printable ASCII only (headers are latin-1)."""
        name = self.file_name or f"{self.title}-{self.version}"
        return "".join(c if " " <= c <= "~" and c not in '";\\' else "_" for c in name)

    def to_wire(self) -> dict[str, Any]:
        """The info with ``name`` (= title), as ThingsBoard's ``getName`` adds it."""
        wire = super().to_wire()
        wire["name"] = self.title
        return wire


class SaveOtaPackageInfoRequest(OtaPackageInfo):
    """``POST /api/otaPackage``: an info plus ``usesUrl`` (the content is a URL)."""

    uses_url: bool = False
