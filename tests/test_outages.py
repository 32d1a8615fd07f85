"""Which failures are outages: the rule engine retries them until storage is back, the REST
API answers 503."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from industryos.outages import is_outage, log_failure


def _error_of(statement: str, conn: sqlite3.Connection) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as raised:
        conn.execute(statement)
    return raised.value


def test_a_locked_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    """The time-series writer's own ``sqlite3`` connection gives up on a held write lock
    with an unwrapped "database is locked": retried, not skipped."""
    path = tmp_path / "db.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    error = _error_of("BEGIN IMMEDIATE", writer)
    assert "locked" in str(error)
    assert is_outage(error)
    holder.execute("ROLLBACK")


def test_a_full_sqlite_database_is_an_outage(tmp_path: Path) -> None:
    """SQLite's "database or disk is full" (a page limit here; a full disk has its code)."""
    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.execute("PRAGMA max_page_count = 3")
    error = _error_of("INSERT INTO t VALUES (zeroblob(100000))", conn)
    assert "full" in str(error)
    assert is_outage(error)


def test_bad_data_and_bad_sql_are_not_outages(tmp_path: Path) -> None:
    """A constraint violation or an SQL error fails the message the queue's way."""
    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert not is_outage(_error_of("INSERT INTO t VALUES (1)", conn))
    assert not is_outage(_error_of("SELECT nothing FROM t", conn))


def test_an_outage_is_logged_in_one_line_and_a_bug_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tests.outages")
    with caplog.at_level(logging.WARNING, logger="tests.outages"):
        log_failure(log, ConnectionRefusedError(111, "Connection refused"), "sweep %d failed", 7)
        log_failure(log, KeyError("device"), "sweep %d failed", 8)
    outage, bug = caplog.records
    assert (outage.levelno, outage.exc_info) == (logging.WARNING, None)
    assert outage.getMessage() == (
        "sweep 7 failed: storage is not answering: "
        "ConnectionRefusedError(111, 'Connection refused')"
    )
    assert (bug.levelno, bug.getMessage()) == (logging.ERROR, "sweep 8 failed")
    assert bug.exc_info is not None and bug.exc_info[0] is KeyError
