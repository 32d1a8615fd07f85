"""time series: ts_kv (partitioned by ts on PostgreSQL) and ts_kv_latest

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JsonText = sa.JSON().with_variant(sa.Text(), "sqlite")


def _values() -> list[sa.Column[object]]:
    return [
        sa.Column("bool_v", sa.Boolean(), nullable=True),
        sa.Column("str_v", sa.Text(), nullable=True),
        sa.Column("long_v", sa.BigInteger(), nullable=True),
        sa.Column("dbl_v", sa.Float(precision=53), nullable=True),
        sa.Column("json_v", JsonText, nullable=True),
    ]


def upgrade() -> None:
    # Partitions of ts_kv are created on demand by storage.timeseries.partitions.
    op.create_table(
        "ts_kv",
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", sa.BigInteger(), autoincrement=False, nullable=False),
        *_values(),
        sa.PrimaryKeyConstraint("entity_id", "key", "ts", name=op.f("pk_ts_kv")),
        postgresql_partition_by="RANGE (ts)",
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ts_kv_latest",
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ts", sa.BigInteger(), nullable=False),
        *_values(),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ttl_s", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "key", name=op.f("pk_ts_kv_latest")),
    )


def downgrade() -> None:
    op.drop_table("ts_kv_latest")
    op.drop_table("ts_kv")  # drops its partitions too
