"""rule events: debug IN/OUT, lifecycle, error and statistics events of rule nodes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("server", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=True),
        sa.Column("msg_id", sa.Uuid(), nullable=True),
        sa.Column("msg_type", sa.String(length=255), nullable=True),
        sa.Column("data_type", sa.String(length=16), nullable=True),
        sa.Column("relation_type", sa.String(length=255), nullable=True),
        sa.Column("originator_type", sa.String(length=32), nullable=True),
        sa.Column("originator_id", sa.Uuid(), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("messages_processed", sa.BigInteger(), nullable=True),
        sa.Column("errors_occurred", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_event")),
    )
    with op.batch_alter_table("rule_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_event_entity",
            ["tenant_id", "entity_id", "event_type", "created_time"],
            unique=False,
        )
        batch_op.create_index("ix_rule_event_created_time", ["created_time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule_event", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_event_created_time")
        batch_op.drop_index("ix_rule_event_entity")
    op.drop_table("rule_event")
