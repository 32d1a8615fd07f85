"""Errors of the telemetry layer, one root so callers can catch the whole family.

    TelemetryError
    ├── KvParseError        device or REST JSON that is not a valid key/value payload
    ├── InvalidEntryError   a key or value the store refuses (blank or >255-char key, bad ts…)
    └── InvalidQueryError   a read query the REST layer must answer with 400

Each subclasses ``ValueError`` too: all three are "bad input", never an internal fault.
"""

from __future__ import annotations

__all__ = ["InvalidEntryError", "InvalidQueryError", "KvParseError", "TelemetryError"]


class TelemetryError(Exception):
    """Root of the telemetry layer's errors."""


class KvParseError(TelemetryError, ValueError):
    """A payload is not valid key/value JSON (transports answer with their parse error code)."""


class InvalidEntryError(TelemetryError, ValueError):
    """An entry cannot be stored: blank or over-long key, ts out of range, value of wrong type."""


class InvalidQueryError(TelemetryError, ValueError):
    """A time-series query has invalid parameters (interval < 1, too many buckets…)."""
