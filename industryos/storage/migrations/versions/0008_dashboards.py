"""dashboards: the dashboard table and its customer links

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-27 01:45:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dashboard",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("mobile_hide", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("mobile_order", sa.Integer(), nullable=True),
        sa.Column("configuration", _json(), nullable=True),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard")),
    )
    with op.batch_alter_table("dashboard", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "dashboard_customer",
        sa.Column("dashboard_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_dashboard_customer_customer_id_customer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dashboard_id"],
            ["dashboard.id"],
            name=op.f("fk_dashboard_customer_dashboard_id_dashboard"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dashboard_id", "customer_id", name=op.f("pk_dashboard_customer")),
    )
    with op.batch_alter_table("dashboard_customer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dashboard_customer_customer_id"), ["customer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dashboard_customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_customer_customer_id"))
    op.drop_table("dashboard_customer")
    with op.batch_alter_table("dashboard", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_tenant_id"))
    op.drop_table("dashboard")
