"""Multi-row SQLite statements: how rows are cut into statements, and that they run."""

from __future__ import annotations

import sqlite3

from industryos.storage.multirow import MAX_STATEMENT_ROWS, MultiRowStatement


def test_rows_are_cut_into_a_few_statement_sizes() -> None:
    """Full statements first, then the powers of two of the rest; values stay in order."""
    statement = MultiRowStatement("INSERT INTO t (a, b)", 2, "ON CONFLICT DO NOTHING")
    rows = [(i, -i) for i in range(2 * MAX_STATEMENT_ROWS + 13)]
    parts = list(statement.statements(rows))
    sizes = [len(parameters) // 2 for _, parameters in parts]
    assert sizes == [MAX_STATEMENT_ROWS, MAX_STATEMENT_ROWS, 8, 4, 1]
    assert [v for _, parameters in parts for v in parameters] == [v for row in rows for v in row]
    sql = parts[-1][0]
    assert sql == "INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT DO NOTHING"
    assert parts[0][0] is parts[1][0]  # one SQL text per size, built once
    assert list(statement.statements([])) == []


def test_statements_upsert_in_sqlite() -> None:
    """Run against SQLite: every row lands, a later row of the same key wins."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    upsert = MultiRowStatement(
        "INSERT INTO t (k, v)", 2, "ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    )
    rows = [(k, f"first {k}") for k in range(1000)] + [(7, "second")]
    for sql, parameters in upsert.statements(rows):
        conn.execute(sql, parameters)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    assert conn.execute("SELECT v FROM t WHERE k = 7").fetchone() == ("second",)
    conn.close()
