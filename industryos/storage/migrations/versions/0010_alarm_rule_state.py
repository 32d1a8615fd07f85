"""alarm rule state: persisted counters of the device profile node

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-27 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarm_rule_state",
        sa.Column("rule_node_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("updated_time", sa.BigInteger(), nullable=False),
        sa.Column("state_data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["device.id"],
            name=op.f("fk_alarm_rule_state_device_id_device"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_node_id", "device_id", name=op.f("pk_alarm_rule_state")),
    )
    with op.batch_alter_table("alarm_rule_state", schema=None) as batch_op:
        batch_op.create_index("ix_alarm_rule_state_device_id", ["device_id"], unique=False)
        batch_op.create_index(
            "ix_alarm_rule_state_tenant_node", ["tenant_id", "rule_node_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alarm_rule_state", schema=None) as batch_op:
        batch_op.drop_index("ix_alarm_rule_state_tenant_node")
        batch_op.drop_index("ix_alarm_rule_state_device_id")
    op.drop_table("alarm_rule_state")
