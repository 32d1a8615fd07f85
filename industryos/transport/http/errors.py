"""Errors of the HTTP device API; each carries the status code and body it is answered with.

Device-facing errors render themselves (the aiocoap ``RenderableError`` idea), so the
routes never choose a status code::

    HttpDeviceError
    ├── BadRequest            400  malformed JSON, wrong shape, bad query value
    ├── Unauthorized          401  unknown access token (empty body, spec §3)
    ├── RequestTimeout        408  a long poll or a client RPC ran out of time
    ├── PayloadTooLarge       413  body over the configured limit
    ├── ProcessingFailed      500  the queue could not take the message
    └── ServiceUnavailable    503  the node is starting or stopping
"""

from __future__ import annotations

from starlette.responses import Response

from industryos.transport.device_api import (
    BackendError,
    DeviceApiError,
    PayloadError,
    RateLimited,
)

__all__ = [
    "BadRequest",
    "HttpDeviceError",
    "PayloadTooLarge",
    "ProcessingFailed",
    "RequestTimeout",
    "ServiceUnavailable",
    "Unauthorized",
    "from_device_api",
]


class HttpDeviceError(Exception):
    """Root of the HTTP device API's errors."""

    status = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def to_response(self) -> Response:
        """The answer: the status code and the message as plain text (often empty)."""
        return Response(self.message, status_code=self.status, media_type="text/plain")


class BadRequest(HttpDeviceError):
    """The device sent something unreadable."""

    status = 400


class Unauthorized(HttpDeviceError):
    """No device has this access token."""

    status = 401


class RequestTimeout(HttpDeviceError):
    """Nothing happened before the poll's timeout."""

    status = 408


class PayloadTooLarge(HttpDeviceError):
    """The body is larger than the configured limit."""

    status = 413


class TooManyRequests(HttpDeviceError):
    """The device or its tenant is over a rate limit of the tenant profile."""

    status = 429


class ProcessingFailed(HttpDeviceError):
    """The message could not be made durable; the device should retry."""

    status = 500


class ServiceUnavailable(HttpDeviceError):
    """The device transports are not running (node starting or stopping)."""

    status = 503


_FROM_DEVICE_API: tuple[tuple[type[DeviceApiError], type[HttpDeviceError]], ...] = (
    (PayloadError, BadRequest),
    (RateLimited, TooManyRequests),
    (BackendError, ProcessingFailed),
)


def from_device_api(exc: DeviceApiError) -> HttpDeviceError:
    """Translate a device API error at the boundary (PayloadError 400, BackendError 500)."""
    for source, target in _FROM_DEVICE_API:
        if isinstance(exc, source):
            return target(str(exc))
    return ProcessingFailed(str(exc))
