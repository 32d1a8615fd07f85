"""Errors of the rule engine, one root for the layer.

::

    RuleEngineError             root of everything industryos.rules raises
    ├── ChainDefinitionError    a chain's JSON is malformed or names an unknown node class
    ├── NodeConfigError         a node's configuration cannot be used (bad field, service)
    ├── NodeFailure             a node could not process a message (→ its ``Failure`` label)
    │   ├── ScriptError         a script threw, returned the wrong type, or is disabled
    │   │   ├── ScriptTimeout   a script ran past its per-call time limit
    │   │   └── ScriptMemory    a script went past its isolate's memory limit
    │   └── NotAvailable        the node needs a layer that does not exist yet
    └── ChainLoopError          nested rule chains call each other too deep

``ChainDefinitionError`` and ``NodeConfigError`` become 400 at the REST edge (their message
names the offending class or field); ``NodeFailure`` never leaves the engine: it becomes the
``error`` metadata of the message routed to ``Failure``.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from industryos.entities.errors import InvalidArgument

if TYPE_CHECKING:
    from industryos.msg import Msg


class RuleEngineError(Exception):
    """Root of every error the rule engine raises."""


class ChainDefinitionError(RuleEngineError, InvalidArgument):
    """A rule chain's JSON cannot be stored or run (wrong shape, unknown node class)."""


class NodeConfigError(RuleEngineError, InvalidArgument):
    """A node's configuration is unusable."""


class NodeFailure(RuleEngineError):
    """A node failed on one message; the message goes to the node's ``Failure`` relation.

    ``msg`` replaces the message sent on ``Failure`` (e.g. with a response's status in the
    metadata); the engine adds the ``error`` metadata either way.
    """

    def __init__(self, message: str, msg: Msg | None = None) -> None:
        super().__init__(message)
        self.msg = msg


class ScriptError(NodeFailure):
    """A script threw, returned a value of the wrong type, or has been disabled."""


class ScriptTimeout(ScriptError):
    """A script ran past its time limit and was terminated."""


class ScriptMemory(ScriptError):
    """A script exceeded its isolate's memory limit; the isolate is rebuilt."""


class NotAvailable(NodeFailure):
    """The node depends on a layer IndustryOS does not have yet (e.g. notifications)."""


class ChainLoopError(NodeFailure):
    """Rule chains nested deeper than the engine allows (a chain calling itself)."""


def is_outage(exc: BaseException) -> bool:
    """True for errors of an unavailable dependency (database, disk, network), not of data.

    A message that failed because storage was down must not be skipped by the queue's
    processing strategy (it was acknowledged to its device): the engine retries it until
    the dependency is back. Constraint and data errors are not outages. The SQLite
    time-series writer uses ``sqlite3`` directly (not through SQLAlchemy), so its errors
    arrive unwrapped and are judged by SQLite's result code.
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
