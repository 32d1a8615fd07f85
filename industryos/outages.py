"""Whether an error means a dependency is not answering (database, disk, network), not a
bug or bad data: the one judgement every layer acts on.

The rule engine retries a message that failed this way until the dependency is back (it was
acknowledged to its device, so the queue's processing strategy must not skip it); the REST
API answers 503, and the MQTT transport refuses a CONNECT as "server unavailable", each
with one warning line instead of a traceback.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

__all__ = ["is_outage", "log_failure"]


def is_outage(exc: BaseException) -> bool:
    """True for errors of an unavailable dependency (database, disk, network), not of data.

    Constraint and data errors are not outages. The SQLite time-series writer uses
    ``sqlite3`` directly (not through SQLAlchemy), so its errors arrive unwrapped and are
    judged by SQLite's result code.
    """
    from sqlalchemy import exc as sa_exc

    from industryos.queue.interface import QueueError

    if isinstance(exc, sqlite3.Error):
        return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_OUTAGE_CODES
    if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError | sa_exc.ProgrammingError):
        return False
    return isinstance(
        exc,
        OSError
        | TimeoutError
        | QueueError
        | sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.DisconnectionError
        | sa_exc.TimeoutError,
    ) or (isinstance(exc, sa_exc.DBAPIError) and _unavailable_database(exc))


_SQLITE_OUTAGE_CODES = frozenset(
    {
        5,  # SQLITE_BUSY: the write lock stayed taken past the busy timeout
        6,  # SQLITE_LOCKED
        7,  # SQLITE_NOMEM
        8,  # SQLITE_READONLY: the file or its directory cannot be written
        10,  # SQLITE_IOERR (every extended I/O error)
        13,  # SQLITE_FULL: the disk (or the size limit) is full
        14,  # SQLITE_CANTOPEN
        15,  # SQLITE_PROTOCOL
    }
)
"""Primary SQLite result codes of an unavailable database (not of bad data or SQL)."""

_OUTAGE_SQLSTATE_CLASSES = ("08", "53", "57P", "58")
"""PostgreSQL SQLSTATEs of connection loss, resource shortage, shutdown and I/O errors."""


def _unavailable_database(exc: Any) -> bool:
    if exc.connection_invalidated or exc.statement is None:  # lost, or failed to connect
        return True
    sqlstate = str(getattr(exc.orig, "sqlstate", "") or getattr(exc.orig, "pgcode", "") or "")
    return sqlstate.startswith(_OUTAGE_SQLSTATE_CLASSES)


def log_failure(logger: logging.Logger, exc: BaseException, message: str, *args: Any) -> None:
    """Log what failed: an outage as one warning line with its reason (it is expected to
    pass, and a traceback per attempt would flood the log), anything else as an error with
    its traceback (a bug)."""
    if is_outage(exc):
        logger.warning(message + ": storage is not answering: %r", *args, exc)
    else:
        logger.error(message, *args, exc_info=exc)
