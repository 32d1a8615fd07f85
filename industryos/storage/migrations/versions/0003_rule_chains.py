"""rule chains: rule_chain and rule_node

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # Tenants that exist before this revision get their root chain at the next start
    # (RuleChainService.ensure_root_chains), where the chain's JSON is built.
    op.create_table(
        "rule_chain",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=32), server_default="CORE", nullable=False),
        sa.Column("root", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("debug_mode", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("first_rule_node_id", sa.Uuid(), nullable=True),
        sa.Column("configuration", _json(), nullable=True),
        sa.Column("additional_info", _json(), nullable=True),
        sa.Column("connections", _json(), nullable=True),
        sa.Column("rule_chain_connections", _json(), nullable=True),
        sa.Column("notes", _json(), nullable=True),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_chain")),
    )
    with op.batch_alter_table("rule_chain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_chain_tenant_id"), ["tenant_id"], unique=False)
    op.create_table(
        "rule_node",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("rule_chain_id", sa.Uuid(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("debug_mode", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("debug_settings", _json(), nullable=True),
        sa.Column("singleton_mode", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("queue_name", sa.String(length=255), nullable=True),
        sa.Column("configuration_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("configuration", _json(), nullable=True),
        sa.Column("additional_info", _json(), nullable=True),
        sa.Column("external_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_node")),
    )
    with op.batch_alter_table("rule_node", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rule_node_rule_chain_id"), ["rule_chain_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rule_node", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_node_rule_chain_id"))
    op.drop_table("rule_node")
    with op.batch_alter_table("rule_chain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_chain_tenant_id"))
    op.drop_table("rule_chain")
