"""Plain ``sqlite3`` connections beside the engine's: the pragmas every connection runs.

The engine (:mod:`industryos.storage.engine`), the writers that run a whole transaction
outside the event loop (the time-series writer process, attribute saves) and the tests'
lock holders all open the same file with the same settings. This module imports nothing
but ``sqlite3``, so the writer process (:mod:`industryos.storage.sqlite_process`) starts
without SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["SQLITE_PRAGMAS", "connect_sqlite"]

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
)
"""Every connection to the SQLite file runs these first (the time-series writer's own too)."""


def connect_sqlite(path: str, pragmas: Sequence[str] = SQLITE_PRAGMAS) -> sqlite3.Connection:
    """A plain ``sqlite3`` connection to ``path`` for work done whole outside the event
    loop: autocommit (the caller BEGINs), the engine's pragmas first."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    for pragma in pragmas:
        conn.execute(pragma)
    return conn
