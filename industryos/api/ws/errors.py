"""Errors of the WebSocket layer: each carries the wire code it is answered with.

WsError
├── CommandError        one command failed: answered as an update with ``errorCode``
│   ├── BadCommand          2 BAD_REQUEST (malformed or unsupported command)
│   └── AccessDenied        3 UNAUTHORIZED (entity of another tenant/customer, or unknown)
└── SessionClosed       the session ends with a close code and reason
"""

from __future__ import annotations

from industryos.api.ws.codes import CloseCode, ErrorCode

__all__ = ["AccessDenied", "BadCommand", "CommandError", "SessionClosed", "WsError"]


class WsError(Exception):
    """Root of the WebSocket layer's errors."""


class CommandError(WsError):
    """A command is answered with an error update; the session goes on."""

    code = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.code.default_message or ""
        super().__init__(self.message)


class BadCommand(CommandError):
    """The command is malformed or not supported."""

    code = ErrorCode.BAD_REQUEST


class AccessDenied(CommandError):
    """The caller may not read the addressed entity."""

    code = ErrorCode.UNAUTHORIZED


class SessionClosed(WsError):
    """End the session with ``close_code`` and ``reason``."""

    def __init__(self, close_code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.close_code = close_code
        self.reason = reason
