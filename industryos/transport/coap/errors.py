"""Errors of the CoAP device API; each renders itself as the response code spec §4 gives.

::

    CoapDeviceError
    ├── BadRequest             4.00  bad payload, GET telemetry, bad request id
    ├── Unauthorized           4.01  unknown access token
    ├── NotFound               4.04  unknown path; an attribute read with no attributes
    ├── MethodNotAllowed       4.05  a method the resource does not take
    ├── RequestEntityTooLarge  4.13  payload over ``max_payload_bytes``
    ├── InternalServerError    5.00  the queue could not take the message
    └── ServiceUnavailable     5.03  the transport is stopping
"""

from __future__ import annotations

from aiocoap import Message
from aiocoap.numbers.codes import Code

from industryos.transport.device_api import (
    BackendError,
    DeviceApiError,
    PayloadError,
    RateLimited,
)

__all__ = [
    "BadRequest",
    "CoapDeviceError",
    "InternalServerError",
    "MethodNotAllowed",
    "NotFound",
    "RequestEntityTooLarge",
    "ServiceUnavailable",
    "Unauthorized",
    "from_device_api",
]


class CoapDeviceError(Exception):
    """Root of the CoAP device API's errors."""

    code: Code = Code.INTERNAL_SERVER_ERROR

    def to_message(self) -> Message:
        """The response: the code, and the reason as diagnostic payload text."""
        return Message(code=self.code, payload=str(self).encode())


class BadRequest(CoapDeviceError):
    """The device sent something unreadable."""

    code = Code.BAD_REQUEST


class Unauthorized(CoapDeviceError):
    """No device has this access token."""

    code = Code.UNAUTHORIZED


class NotFound(CoapDeviceError):
    """No such resource, or nothing to answer with."""

    code = Code.NOT_FOUND


class MethodNotAllowed(CoapDeviceError):
    """The resource does not take this method."""

    code = Code.METHOD_NOT_ALLOWED


class RequestEntityTooLarge(CoapDeviceError):
    """The payload is over the configured limit."""

    code = Code.REQUEST_ENTITY_TOO_LARGE


class TooManyRequests(CoapDeviceError):
    """The device or its tenant is over a rate limit of the tenant profile (RFC 8516)."""

    code = Code.TOO_MANY_REQUESTS


class InternalServerError(CoapDeviceError):
    """The message could not be made durable; the device should retry."""

    code = Code.INTERNAL_SERVER_ERROR


class ServiceUnavailable(CoapDeviceError):
    """The transport is stopping."""

    code = Code.SERVICE_UNAVAILABLE


_FROM_DEVICE_API: tuple[tuple[type[DeviceApiError], type[CoapDeviceError]], ...] = (
    (PayloadError, BadRequest),
    (RateLimited, TooManyRequests),
    (BackendError, InternalServerError),
)


def from_device_api(exc: DeviceApiError) -> CoapDeviceError:
    """Translate a device API error at the boundary (PayloadError 4.00, BackendError 5.00)."""
    for source, target in _FROM_DEVICE_API:
        if isinstance(exc, source):
            return target(str(exc))
    return InternalServerError(str(exc))
