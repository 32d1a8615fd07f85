"""Errors of the OTA layer; REST maps them through the core errors they extend.

::

    InvalidArgument (core)
    └── ChecksumMismatch     the upload does not match the checksum given: 400
    OtaError                 device-facing root
    ├── PackageNotAssigned   no package of that type: MQTT NOT_FOUND, HTTP/CoAP 404
    ├── PackageMismatch      title/version asked differ from the package: HTTP/CoAP 400
    ├── ChunkTooLarge        chunk over the payload limit: MQTT PAYLOAD_TOO_LARGE
    └── ContentMissing       a stored package's bytes are gone (an internal fault): the
                             downloads answer it as PackageNotAssigned
"""

from __future__ import annotations

from industryos.entities.errors import InvalidArgument

__all__ = [
    "ChecksumMismatch",
    "ChunkTooLarge",
    "ContentMissing",
    "OtaError",
    "PackageMismatch",
    "PackageNotAssigned",
]


class OtaError(Exception):
    """Root of the OTA layer's device-facing errors."""


class ChecksumMismatch(InvalidArgument):
    """The uploaded content's checksum differs from the one the caller declared."""


class PackageNotAssigned(OtaError):
    """The device has no package of the requested type (or it has no content)."""


class PackageMismatch(OtaError):
    """The title or version the device asked for is not its assigned package."""


class ChunkTooLarge(OtaError):
    """The requested chunk is larger than the transport may send in one message."""


class ContentMissing(OtaError):
    """The content store has nothing for a package that claims to have content."""
