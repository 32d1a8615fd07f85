"""ota packages: the ota_package table (content lives in the data dir)

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-27 01:40:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "ota_package",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_profile_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=False),
        sa.Column("tag", sa.String(length=255), nullable=True),
        sa.Column("url", sa.String(length=1024), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("checksum_algorithm", sa.String(length=32), nullable=True),
        sa.Column("checksum", sa.String(length=1020), nullable=True),
        sa.Column("data_size", sa.BigInteger(), nullable=True),
        sa.Column("has_data", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("additional_info", _json(), nullable=True),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ota_package")),
        sa.UniqueConstraint(
            "tenant_id", "title", "version", name=op.f("uq_ota_package_tenant_id_title_version")
        ),
    )
    with op.batch_alter_table("ota_package", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ota_package_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ota_package", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ota_package_tenant_id"))
    op.drop_table("ota_package")
