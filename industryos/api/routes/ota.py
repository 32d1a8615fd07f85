"""OTA package REST, ThingsBoard's ``OtaPackageController`` paths (spec platform-api §3.10).

``POST /api/otaPackage`` saves a description; ``POST /api/otaPackage/{id}`` takes the
content as the multipart field ``file`` with ``checksumAlgorithm`` (and optionally
``checksum``, verified: 400 on mismatch). The multipart body is parsed as it streams in
and the file part goes straight to the package file with its checksum, so an upload is
never held in memory (nor spooled twice). ``GET /api/otaPackage/{id}/download`` streams
the file back. ``GET /api/otaPackage/{id}`` answers the info, like ``/info/{id}``:
ThingsBoard inlines the content there, which we never load whole.

Status views (new, not ThingsBoard's): ``GET /api/ota/device/{deviceId}/status`` and
``GET /api/ota/deviceProfile/{deviceProfileId}/status?type=FIRMWARE|SOFTWARE``.

The node hands in the :class:`~industryos.devices.ota.stack.Ota` through :func:`install`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from industryos.api.deps import CurrentCaller, Page
from industryos.devices.ota.model import OtaPackageInfo, SaveOtaPackageInfoRequest
from industryos.devices.ota.packages import Upload
from industryos.devices.ota.stack import Ota
from industryos.devices.ota.wire import ChecksumAlgorithm, OtaPackageType
from industryos.entities.errors import InvalidArgument

__all__ = ["STATE_ATTRIBUTE", "install", "router"]

STATE_ATTRIBUTE = "ota"
"""The ``app.state`` attribute holding the node's :class:`Ota`."""

router = APIRouter(prefix="/api", tags=["ota"])
Json = dict[str, Any]
FILE_FIELD = b"file"


def install(app: FastAPI, ota: Ota) -> None:
    """Hand the routes (mounted with the app's routers) the node's OTA services."""
    setattr(app.state, STATE_ATTRIBUTE, ota)


def _ota(request: Request) -> Ota:
    ota: Ota | None = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if ota is None:
        raise HTTPException(503, "OTA is not available")
    return ota


Services = Annotated[Ota, Depends(_ota)]


def _render(info: OtaPackageInfo) -> Json:
    return info.to_wire()


def _algorithm(text: str) -> ChecksumAlgorithm:
    try:
        return ChecksumAlgorithm(text.strip().upper())
    except ValueError:
        names = ", ".join(a.value for a in ChecksumAlgorithm)
        raise InvalidArgument(f"Unsupported checksum algorithm {text!r}: use {names}") from None


def _kind(text: str) -> OtaPackageType:
    try:
        return OtaPackageType(text)
    except ValueError:
        raise InvalidArgument(f"Unsupported OTA package type {text!r}") from None


@router.post("/otaPackage")
async def save_package(
    body: SaveOtaPackageInfoRequest, caller: CurrentCaller, ota: Services
) -> Json:
    """Create or update a package description (``usesUrl``: the content is a URL)."""
    return _render(await ota.packages.save(caller, body))


@router.post("/otaPackage/{package_id}")
async def upload_package(
    package_id: uuid.UUID,
    request: Request,
    caller: CurrentCaller,
    ota: Services,
    checksum_algorithm: Annotated[str, Query(alias="checksumAlgorithm")],
    checksum: str | None = None,
) -> Json:
    """Store the package's content from the multipart field ``file``."""
    algorithm = _algorithm(checksum_algorithm)
    await ota.packages.get_for_admin(caller, package_id)  # refuse before reading the body
    upload = await _file_part(request)
    return _render(await ota.packages.upload(caller, package_id, algorithm, checksum, upload))


@router.get("/otaPackage/{package_id}/download")
async def download_package(package_id: uuid.UUID, caller: CurrentCaller, ota: Services) -> Response:
    """The package's content, streamed from its content store (400 for a URL package, as in TB)."""
    package = await ota.packages.get_for_admin(caller, package_id)
    if package.url or not package.has_data:
        raise InvalidArgument("The package has no content to download")
    name = package.download_name
    return StreamingResponse(
        ota.downloads.stream(package, 0, 0),
        media_type=package.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment;filename={name}",
            "x-filename": name,
            "Content-Length": str(package.data_size or 0),
        },
    )


@router.get("/otaPackage/info/{package_id}")
async def get_package_info(package_id: uuid.UUID, caller: CurrentCaller, ota: Services) -> Json:
    """A package description (tenant admins and customer users)."""
    return _render(await ota.packages.get(caller, package_id))


@router.get("/otaPackage/{package_id}")
async def get_package(package_id: uuid.UUID, caller: CurrentCaller, ota: Services) -> Json:
    """A package description (tenant admins; the content is at ``/download``)."""
    return _render(await ota.packages.get_for_admin(caller, package_id))


@router.get("/otaPackages")
async def list_packages(caller: CurrentCaller, ota: Services, link: Page) -> Json:
    """The tenant's packages."""
    return (await ota.packages.page(caller, link)).to_wire(_render)


@router.get("/otaPackages/{profile_id}/{kind}")
async def list_profile_packages(
    profile_id: uuid.UUID, kind: str, caller: CurrentCaller, ota: Services, link: Page
) -> Json:
    """The packages of one profile and type that have content (the assignable ones)."""
    page = await ota.packages.page(caller, link, profile_id=profile_id, kind=_kind(kind))
    return page.to_wire(_render)


@router.delete("/otaPackage/{package_id}")
async def delete_package(package_id: uuid.UUID, caller: CurrentCaller, ota: Services) -> None:
    """Delete a package nothing uses."""
    await ota.packages.delete(caller, package_id)


@router.get("/ota/device/{device_id}/status")
async def device_status(device_id: uuid.UUID, caller: CurrentCaller, ota: Services) -> Json:
    """The device's firmware and software: package, state, error, current and target."""
    return await ota.status.device(caller, device_id)


@router.get("/ota/deviceProfile/{profile_id}/status")
async def profile_status(
    profile_id: uuid.UUID,
    caller: CurrentCaller,
    ota: Services,
    kind: Annotated[str, Query(alias="type")] = OtaPackageType.FIRMWARE.value,
) -> Json:
    """The profile's devices counted by ``fw_state`` (or ``sw_state``)."""
    return await ota.status.profile(caller, profile_id, _kind(kind))


# --- streaming multipart -----------------------------------------------------------------


class _FilePart:
    """Collects the ``file`` part's bytes and headers while the parser runs."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []
        self.headers: dict[bytes, bytes] = {}
        self.field = b""
        self.value = b""
        self.in_file = False
        self.seen = False
        self.file_name: str | None = None
        self.content_type: str | None = None

    def on_part_begin(self) -> None:
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.field.lower()] = self.value
        self.field = self.value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.in_file = options.get(b"name") == FILE_FIELD and not self.seen
        if self.in_file:
            self.seen = True
            name = options.get(b"filename")
            self.file_name = name.decode(errors="replace") if name else None
            content_type = self.headers.get(b"content-type")
            self.content_type = content_type.decode(errors="replace") if content_type else None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_file:
            self.pending.append(data[start:end])

    def on_part_end(self) -> None:
        self.in_file = False


async def _file_part(request: Request) -> Upload:
    """The ``file`` part of a multipart body, its bytes produced while the body streams."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidArgument("The content must be sent as multipart/form-data field 'file'")
    part = _FilePart()
    callbacks: Any = {
        name: getattr(part, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
            "on_part_data",
            "on_part_end",
        )
    }
    parser = MultipartParser(boundary, callbacks)
    stream = request.stream()
    # Read until the file part's headers are known (its name and content type).
    buffered: list[bytes] = []
    async for chunk in stream:
        parser.write(chunk)
        if part.seen:
            buffered, part.pending = part.pending, []
            break
    if not part.seen:
        raise InvalidArgument("Multipart field 'file' is missing")

    async def chunks() -> AsyncIterator[bytes]:
        for block in buffered:
            yield block
        async for chunk in stream:
            parser.write(chunk)
            blocks, part.pending = part.pending, []
            for block in blocks:
                yield block
        parser.finalize()
        for block in part.pending:
            yield block

    return Upload(part.file_name, part.content_type, chunks())
