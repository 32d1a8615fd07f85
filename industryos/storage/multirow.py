"""Multi-row statements for SQLite: many rows a statement instead of ``executemany``.

The ``sqlite3`` module releases the GIL around every statement step, so ``executemany``
must take the GIL back from the busy event loop once per row, often waiting out the
interpreter's switch interval each time: under ingest load a 1,500-row time-series flush
took ~100 ms and a 3,000-row device-state save ~0.5 s, holding SQLite's only write lock
all along. One statement of many rows waits for the GIL once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = ["MAX_STATEMENT_ROWS", "MultiRowStatement", "run_in_transaction"]

MAX_STATEMENT_ROWS = 512
"""Rows of the largest statement. SQLite keeps a prepared statement at about 1.3 KB a row,
and every statement size a batch needs stays in the connection's statement cache."""


class MultiRowStatement:
    """``head VALUES (?, …), (?, …) … tail`` for any number of rows of ``width`` values.

    Rows are cut into statements of :data:`MAX_STATEMENT_ROWS` and, for the rest, of the
    powers of two its count is made of (1,229 rows: 512, 512, 128, 64, 8, 4, 1): ten
    statement sizes serve every batch, so the SQL text of each is built once and SQLite
    prepares each once.
    """

    def __init__(self, head: str, width: int, tail: str = "") -> None:
        self.spec = (head, width, tail)
        """What rebuilds this statement elsewhere: ``MultiRowStatement(*spec)``."""
        self._head = f"{head} VALUES "
        self._tail = f" {tail}" if tail else ""
        self._row = "(" + ", ".join("?" * width) + ")"
        self._sql: dict[int, str] = {}

    def statements(self, rows: Sequence[Sequence[Any]]) -> Iterator[tuple[str, list[Any]]]:
        """``(sql, parameters)`` per statement, covering ``rows`` in their order."""
        start, left = 0, len(rows)
        while left:
            count = min(MAX_STATEMENT_ROWS, 1 << (left.bit_length() - 1))
            yield self._statement(count), [v for row in rows[start : start + count] for v in row]
            start += count
            left -= count

    def _statement(self, count: int) -> str:
        sql = self._sql.get(count)
        if sql is None:
            sql = self._sql[count] = self._head + ", ".join([self._row] * count) + self._tail
        return sql


def run_in_transaction(
    conn: sqlite3.Connection,
    parts: Iterable[tuple[MultiRowStatement, Sequence[Sequence[Any]]]],
) -> None:
    """``BEGIN IMMEDIATE``, the statements of every ``(statement, rows)`` part, ``COMMIT``
    (``ROLLBACK`` on any error), on a connection in autocommit mode (``isolation_level=None``)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement, rows in parts:
            for sql, parameters in statement.statements(rows):
                conn.execute(sql, parameters)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
