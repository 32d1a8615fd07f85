"""alarms: alarm, alarm_entity (propagation) and alarm_comment

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "alarm",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("originator_type", sa.String(length=32), nullable=False),
        sa.Column("originator_id", sa.Uuid(), nullable=False),
        sa.Column("severity", sa.String(length=32), nullable=False),
        sa.Column("acknowledged", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("cleared", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("start_ts", sa.BigInteger(), nullable=False),
        sa.Column("end_ts", sa.BigInteger(), nullable=False),
        sa.Column("ack_ts", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("clear_ts", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("assign_ts", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("details", _json(), nullable=True),
        sa.Column("propagate", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("propagate_to_owner", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("propagate_to_tenant", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("propagate_relation_types", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm")),
    )
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index(
            "ix_alarm_originator_id_type", ["originator_id", "type"], unique=False
        )
    op.create_table(
        "alarm_entity",
        sa.Column("alarm_id", sa.Uuid(), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("alarm_id", "entity_id", name=op.f("pk_alarm_entity")),
    )
    with op.batch_alter_table("alarm_entity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_entity_entity_id"), ["entity_id"], unique=False)
    op.create_table(
        "alarm_comment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("alarm_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("comment", _json(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm_comment")),
    )
    with op.batch_alter_table("alarm_comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alarm_comment_alarm_id"), ["alarm_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alarm_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_comment_alarm_id"))
    op.drop_table("alarm_comment")
    with op.batch_alter_table("alarm_entity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alarm_entity_entity_id"))
    op.drop_table("alarm_entity")
    with op.batch_alter_table("alarm", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_originator_id_type")
        batch_op.drop_index(batch_op.f("ix_alarm_tenant_id"))
    op.drop_table("alarm")
