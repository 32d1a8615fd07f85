"""persistent rpc: the rpc table

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rpc",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("expiration_time", sa.BigInteger(), nullable=False),
        sa.Column("request", _json(), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("additional_info", _json(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rpc")),
    )
    with op.batch_alter_table("rpc", schema=None) as batch_op:
        batch_op.create_index("ix_rpc_device_id_status", ["device_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_rpc_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rpc", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rpc_tenant_id"))
        batch_op.drop_index("ix_rpc_device_id_status")
    op.drop_table("rpc")
