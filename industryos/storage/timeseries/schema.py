"""Time-series tables on the shared ``metadata``: narrow ``ts_kv`` rows and ``ts_kv_latest``.

``ts_kv`` holds one row per (entity, key id, ts) with one of five typed value columns set;
keys are integers from ``key_dictionary``. On PostgreSQL it is RANGE-partitioned by ``ts``
(children are created on demand by :mod:`.partitions` and are not part of the metadata);
on SQLite it is one ``WITHOUT ROWID`` table, clustered on its primary key, so a series is
stored contiguously and a point costs one b-tree insert instead of two.

``ts_kv_latest`` holds the newest point of every series, plus the tenant and the TTL it was
written with: retention reads them to apply per-tenant and per-series TTLs without a
tenant column on every ``ts_kv`` row. JSON values are ``json`` on PostgreSQL (kept as
written, cheaper to insert than ``jsonb``) and TEXT on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import metadata
from industryos.storage.timeseries.columns import VALUE_COLUMNS

__all__ = ["TS_COLUMNS", "TS_LATEST_COLUMNS", "ts_kv", "ts_kv_latest"]

JsonText = sa.JSON().with_variant(sa.Text(), "sqlite")


def _values() -> list[sa.Column[object]]:
    return [
        sa.Column("bool_v", sa.Boolean()),
        sa.Column("str_v", sa.Text()),
        sa.Column("long_v", sa.BigInteger()),
        sa.Column("dbl_v", sa.Float(precision=53)),
        sa.Column("json_v", JsonText),
    ]


ts_kv = sa.Table(
    "ts_kv",
    metadata,
    sa.Column("entity_id", sa.Uuid(), primary_key=True),
    sa.Column("key", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("ts", sa.BigInteger(), primary_key=True, autoincrement=False),
    *_values(),
    postgresql_partition_by="RANGE (ts)",
    sqlite_with_rowid=False,
)

ts_kv_latest = sa.Table(
    "ts_kv_latest",
    metadata,
    sa.Column("entity_id", sa.Uuid(), primary_key=True),
    sa.Column("key", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("ts", sa.BigInteger(), nullable=False),
    *_values(),
    sa.Column("tenant_id", sa.Uuid(), nullable=False),
    sa.Column("ttl_s", sa.BigInteger(), nullable=False, server_default="0"),
)

TS_COLUMNS = ("entity_id", "key", "ts", *VALUE_COLUMNS)
"""Column order of the rows the batch writer builds."""
TS_LATEST_COLUMNS = (*TS_COLUMNS, "tenant_id", "ttl_s")
