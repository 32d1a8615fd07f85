"""OTA chunk downloads on the three device transports (spec device-api §2.13, §3, §4).

The OTA logic (which package, which bytes) is :class:`~industryos.devices.ota.downloads.
OtaDownloads`'; this module only speaks each transport's dialect:

* MQTT ``v2/fw/request/{requestId}/chunk/{n}`` (``v2/sw`` for software), payload = the
  chunk size in ASCII, empty = the size remembered for this request id (else 0, the whole
  image). The chunk goes out on ``v2/fw/response/{requestId}/chunk/{n}`` after the PUBACK,
  whether or not a subscription matches. The request id's package is remembered for the
  session, so a download keeps getting the package it started with. A chunk over
  ``STREAM_BLOCK`` (size 0 = the whole image) is streamed: the PUBLISH header with its
  length, then the file block by block under flow control. Errors:
  ``NOT_FOUND`` (no package) or ``PAYLOAD_TOO_LARGE`` (size over the payload limit) on
  ``v2/fw/error``, then DISCONNECT 0x83.
* HTTP ``GET /api/v1/{token}/firmware?title=&version=&size=&chunk=``: title and version
  required (400 when missing or not the assigned package), 404 without a package; the body
  is streamed from the content store with ``Content-Disposition``, ``x-filename`` and the package's
  content type; past the end an empty 200.
* CoAP ``GET /fw/{token}?title=&version=&size=&chunk=`` (``/sw``): title and version
  optional, 2.05 with the bytes, 4.04 / 4.00. A chunk over one block is served Block2,
  each block read from the file when it is asked for (no response cache); the ETag is
  the package's, so a client notices a package that changed between blocks.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiocoap import Message
from aiocoap.numbers.codes import Code
from aiocoap.optiontypes import BlockOption
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from industryos.devices.ota.content import STREAM_BLOCK
from industryos.devices.ota.downloads import OtaDownloads
from industryos.devices.ota.errors import (
    ChunkTooLarge,
    OtaError,
    PackageMismatch,
    PackageNotAssigned,
)
from industryos.devices.ota.model import OtaPackageInfo
from industryos.devices.ota.wire import OtaPackageType
from industryos.transport.auth import DeviceIdentity
from industryos.transport.device_api import PayloadError
from industryos.transport.mqtt.application import ACCEPTED, PublishResult
from industryos.transport.mqtt.reason_codes import ReasonCode

if TYPE_CHECKING:
    from industryos.transport.mqtt.device.context import MqttDeviceSession
    from industryos.transport.mqtt.device.topics import Route
    from industryos.transport.mqtt.packets import Publish

__all__ = [
    "HTTP_STATE_ATTRIBUTE",
    "CoapOta",
    "MqttOta",
    "coap_path_kind",
    "http_download",
]

log = logging.getLogger(__name__)

HTTP_STATE_ATTRIBUTE = "device_ota"
"""The ``app.state`` attribute the node sets to the :class:`OtaDownloads` for HTTP."""

_PREFIX = {kind.prefix: kind for kind in OtaPackageType}
_REMEMBERED = 16
"""Request ids remembered per session (their chunk size and package)."""
_ERROR_TEXT: tuple[tuple[type[OtaError], bytes], ...] = (
    (PackageNotAssigned, b"NOT_FOUND"),
    (ChunkTooLarge, b"PAYLOAD_TOO_LARGE"),
    (PackageMismatch, b"BAD_REQUEST_PARAMS"),
)


def _int(text: str | None, what: str, default: int = 0) -> int:
    """A non-negative decimal from a topic, payload or query; PayloadError otherwise."""
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise PayloadError(f"{what} {text!r} is not a number") from None
    if value < 0:
        raise PayloadError(f"{what} must not be negative")
    return value


# --- MQTT -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Requests:
    """One session's download requests: request id → (chunk size, package)."""

    sizes: dict[str, int] = field(default_factory=dict)
    packages: dict[str, OtaPackageInfo] = field(default_factory=dict)

    def forget_old(self) -> None:
        """Keep the newest request ids only (a device reuses one per download)."""
        for remembered in (self.sizes, self.packages):
            while len(remembered) > _REMEMBERED:
                del remembered[next(iter(remembered))]


class MqttOta:
    """Answers ``v2/fw|sw/request/{id}/chunk/{n}`` for the MQTT device adapter."""

    def __init__(self, downloads: OtaDownloads, max_chunk_size: int) -> None:
        self._downloads = downloads
        self._max = max_chunk_size
        self._sessions: weakref.WeakKeyDictionary[MqttDeviceSession, _Requests] = (
            weakref.WeakKeyDictionary()
        )

    async def on_chunk_request(
        self, context: MqttDeviceSession, kind: OtaPackageType, routed: Route, publish: Publish
    ) -> PublishResult:
        """Publish the chunk after the PUBACK, or the error then disconnect 0x83."""
        request_id, separator, index_text = routed.suffix.partition("/chunk/")
        if not separator or not request_id or "/" in request_id:
            raise PayloadError(f"not a chunk request topic: {publish.topic!r}")
        index = _int(index_text, "chunk number")
        requests = self._sessions.setdefault(context, _Requests())
        try:
            payload = publish.payload.decode()
        except UnicodeDecodeError:
            raise PayloadError("the chunk size must be ASCII digits") from None
        if payload.strip():
            size = requests.sizes[request_id] = _int(payload, "chunk size")
        else:
            size = requests.sizes.get(request_id, 0)
        requests.forget_old()
        prefix = kind.prefix
        try:
            package = requests.packages.get(request_id)
            if package is None:
                package = await self._downloads.package(context.identity.device_id, kind)
                requests.packages[request_id] = package
            self._downloads.check_size(size, index, self._max)
            _, length = self._downloads.span(package, size, index)
            data = None
            if length <= STREAM_BLOCK:
                data = await self._downloads.chunk(package, size, index)
        except OtaError as exc:
            log.warning("%r: %s chunk request refused: %s", context, prefix, exc)
            text = next((t for error, t in _ERROR_TEXT if isinstance(exc, error)), b"BAD_REQUEST")
            if context.session is not None:
                await context.session.publish(f"v2/{prefix}/error", text, 0)
            return PublishResult(ack=None, disconnect=ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
        topic = f"v2/{prefix}/response/{request_id}/chunk/{index}"
        if data is None:
            pieces = self._downloads.stream(package, size, index)
            context.publish_stream_later(topic, length, pieces)
        else:
            context.publish_later(topic, data)
        return ACCEPTED


# --- HTTP -------------------------------------------------------------------------------


def _plain(status: int, message: str = "") -> Response:
    """An error the way the HTTP device API answers them: status and plain text."""
    return Response(message, status_code=status, media_type="text/plain")


async def http_download(request: Request, device: DeviceIdentity, kind: OtaPackageType) -> Response:
    """Answer ``GET /api/v1/{token}/firmware|software`` for an authenticated device."""
    downloads: OtaDownloads | None = getattr(request.app.state, HTTP_STATE_ATTRIBUTE, None)
    if downloads is None:
        return _plain(503, "OTA is not available")
    query = request.query_params
    title, version = query.get("title"), query.get("version")
    if not title or not version:
        return _plain(400, "title and version are required")
    try:
        size = _int(query.get("size"), "size")
        index = _int(query.get("chunk"), "chunk")
        package = await downloads.package(device.device_id, kind, title=title, version=version)
    except PackageNotAssigned as exc:
        return _plain(404, str(exc))
    except (PackageMismatch, PayloadError) as exc:
        log.warning("device %s: bad OTA request: %s", device.device_id, exc)
        return _plain(400, str(exc))
    name = package.download_name
    headers = {"Content-Disposition": f"attachment;filename={name}", "x-filename": name}
    _, length = downloads.span(package, size, index)
    headers["Content-Length"] = str(length)
    return StreamingResponse(
        downloads.stream(package, size, index),
        media_type=package.content_type or "application/octet-stream",
        headers=headers,
    )


# --- CoAP -------------------------------------------------------------------------------


def coap_path_kind(path: tuple[str, ...]) -> OtaPackageType | None:
    """``fw``/``sw`` for ``/fw/{token}`` and ``/sw/{token}``; None for any other path."""
    if len(path) == 2:
        return _PREFIX.get(path[0])
    return None


class CoapOta:
    """Answers ``GET /fw/{token}`` and ``/sw/{token}`` for the CoAP resource."""

    def __init__(self, downloads: OtaDownloads) -> None:
        self._downloads = downloads

    async def get(self, device: DeviceIdentity, kind: OtaPackageType, request: Message) -> Message:
        """2.05 with the chunk; 4.04 no package; 4.00 mismatch or a bad query."""
        if request.code != Code.GET:
            return Message(code=Code.METHOD_NOT_ALLOWED)
        query = _query(request.opt.uri_query)
        try:
            size = _int(query.get("size"), "size")
            index = _int(query.get("chunk"), "chunk")
            package = await self._downloads.package(
                device.device_id, kind, title=query.get("title"), version=query.get("version")
            )
            offset, length = self._downloads.span(package, size, index)
            return await self._block(request, package, offset, length)
        except PackageNotAssigned as exc:
            return Message(code=Code.NOT_FOUND, payload=str(exc).encode())
        except (PackageMismatch, PayloadError) as exc:
            log.warning("CoAP device %s: bad OTA request: %s", device.device_id, exc)
            return Message(code=Code.BAD_REQUEST, payload=str(exc).encode())

    async def _block(
        self, request: Message, package: OtaPackageInfo, offset: int, length: int
    ) -> Message:
        """The asked Block2 block of ``length`` bytes at ``offset``, read from the file alone.

        A chunk that fits the peer's block size goes out whole without a Block2 option.
        """
        asked = request.opt.block2
        exponent = request.remote.maximum_block_size_exp
        if asked is not None:
            exponent = min(asked.size_exponent, exponent)
        block_size = 2 ** (exponent + 4)
        number = asked.block_number if asked is not None else 0
        if asked is None and length <= block_size:
            data = await self._downloads.read(package, offset, length)
            return Message(code=Code.CONTENT, payload=data)
        start = number * block_size
        if start >= length and length > 0:
            raise PayloadError(f"block {number} is past the end of {length} bytes")
        data = await self._downloads.read(package, offset + start, min(block_size, length - start))
        answer = Message(code=Code.CONTENT, payload=data)
        more = start + len(data) < length
        answer.opt.block2 = BlockOption.BlockwiseTuple(number, more, exponent)
        answer.opt.size2 = length
        assert package.id is not None
        answer.opt.etag = package.id.bytes[:8]
        return answer


def _query(items: Mapping[int, str] | tuple[str, ...] | list[str]) -> dict[str, str]:
    answer: dict[str, str] = {}
    for item in items:
        name, _, value = str(item).partition("=")
        answer[name] = value
    return answer
