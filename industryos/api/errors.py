"""The REST error contract: every non-2xx answer is ``{status, message, errorCode, timestamp}``.

Core errors are translated here, at the boundary, so services never think in HTTP.
"""

from __future__ import annotations

import logging
import sqlite3
from enum import IntEnum

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from industryos.api.responses import JsonResponse
from industryos.entities.errors import (
    ApiUsageLimitExceeded,
    AuthenticationFailed,
    EntitiesLimitExceeded,
    EntityError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    TokenExpired,
    VersionConflict,
)
from industryos.entities.ids import now_ms
from industryos.outages import is_outage
from industryos.queue.interface import QueueError

log = logging.getLogger(__name__)


class ErrorCode(IntEnum):
    """ThingsBoard's ``errorCode`` numbers."""

    GENERAL = 2
    AUTHENTICATION = 10
    JWT_TOKEN_EXPIRED = 11
    CREDENTIALS_EXPIRED = 15
    PERMISSION_DENIED = 20
    INVALID_ARGUMENTS = 30
    BAD_REQUEST_PARAMS = 31
    ITEM_NOT_FOUND = 32
    TOO_MANY_REQUESTS = 33
    TOO_MANY_UPDATES = 34
    VERSION_CONFLICT = 35
    SUBSCRIPTION_VIOLATION = 40
    ENTITIES_LIMIT_EXCEEDED = 41
    DATABASE = 46


# Most specific class first: TokenExpired is an AuthenticationFailed.
_ENTITY_ERRORS: tuple[tuple[type[EntityError], int, ErrorCode], ...] = (
    (TokenExpired, 401, ErrorCode.JWT_TOKEN_EXPIRED),
    (AuthenticationFailed, 401, ErrorCode.AUTHENTICATION),
    (PermissionDenied, 403, ErrorCode.PERMISSION_DENIED),
    (ApiUsageLimitExceeded, 429, ErrorCode.TOO_MANY_REQUESTS),
    (NotFound, 404, ErrorCode.ITEM_NOT_FOUND),
    (InvalidArgument, 400, ErrorCode.BAD_REQUEST_PARAMS),
    (VersionConflict, 409, ErrorCode.VERSION_CONFLICT),
)

STORAGE_DOWN = "Database error: storage is not answering, try again"
"""ThingsBoard's DATABASE error (46), as 503: the request may succeed once storage is back."""

_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST_PARAMS,
    401: ErrorCode.AUTHENTICATION,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.ITEM_NOT_FOUND,
    405: ErrorCode.BAD_REQUEST_PARAMS,
    409: ErrorCode.VERSION_CONFLICT,
    413: ErrorCode.BAD_REQUEST_PARAMS,
    429: ErrorCode.TOO_MANY_REQUESTS,
}


def error_response(status: int, message: str, code: ErrorCode) -> JsonResponse:
    """The JSON error body of the contract."""
    return JsonResponse(
        {"status": status, "message": message, "errorCode": int(code), "timestamp": now_ms()},
        status_code=status,
    )


async def _entity_error(_request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, EntityError)
    if isinstance(exc, EntitiesLimitExceeded):  # ThingsboardEntitiesLimitExceededResponse
        return JsonResponse(
            {
                "status": 403,
                "message": exc.message,
                "errorCode": int(ErrorCode.ENTITIES_LIMIT_EXCEEDED),
                "timestamp": now_ms(),
                "entityType": str(exc.entity_type),
                "limit": exc.limit,
            },
            status_code=403,
        )
    for kind, status, code in _ENTITY_ERRORS:
        if isinstance(exc, kind):
            return error_response(status, exc.message, code)
    return error_response(500, exc.message, ErrorCode.GENERAL)


async def _validation_error(_request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    message = f"Invalid request: {where}: {first.get('msg', 'invalid value')}".replace(": :", ":")
    return error_response(400, message, ErrorCode.BAD_REQUEST_PARAMS)


async def _http_error(_request: Request, exc: Exception) -> JsonResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.GENERAL)
    return error_response(exc.status_code, str(exc.detail), code)


async def _unexpected(_request: Request, exc: Exception) -> JsonResponse:
    log.error("unhandled error in REST request", exc_info=exc)
    return error_response(500, "Internal server error", ErrorCode.GENERAL)


MAYBE_OUTAGES: tuple[type[Exception], ...] = (
    OSError,
    sqlite3.Error,
    QueueError,
    sa_exc.DBAPIError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)
"""Errors that may be storage not answering (``is_outage`` decides). They get a handler of
their own: Starlette answers with a handler for ``Exception`` and then raises the error again
to the server, which logs its traceback, once per request of an outage."""


async def _maybe_outage(request: Request, exc: Exception) -> JsonResponse:
    if not is_outage(exc):
        return await _unexpected(request, exc)
    log.warning("REST request failed, storage is not answering: %s: %s", type(exc).__name__, exc)
    return error_response(503, STORAGE_DOWN, ErrorCode.DATABASE)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error leave the API in the contract's shape."""
    app.add_exception_handler(EntityError, _entity_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    for kind in MAYBE_OUTAGES:
        app.add_exception_handler(kind, _maybe_outage)
    app.add_exception_handler(Exception, _unexpected)
