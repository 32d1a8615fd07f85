"""ota package content: package id -> PostgreSQL large object oid

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-27 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ota_package_content",
        sa.Column("package_id", sa.Uuid(), nullable=False),
        sa.Column("lo_oid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("package_id", name=op.f("pk_ota_package_content")),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the objects would leak otherwise
        op.execute("SELECT lo_unlink(lo_oid::oid) FROM ota_package_content")
    op.drop_table("ota_package_content")
