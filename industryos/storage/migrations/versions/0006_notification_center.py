"""notification center: targets, templates, rules, requests, notifications, delivery log

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 09:00:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("additional_config", _json(), nullable=True),
        sa.Column("info", _json(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_recipient_id_status", ["recipient_id", "status"], unique=False
        )

    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("updated_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
    )
    with op.batch_alter_table("notification_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_delivery_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notification_delivery_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "notification_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_request")),
    )
    with op.batch_alter_table("notification_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_request_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "notification_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("trigger_type", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_rule")),
    )
    with op.batch_alter_table("notification_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_rule_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "notification_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "key", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "notification_target",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_target")),
    )
    with op.batch_alter_table("notification_target", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_target_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "notification_template",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("notification_type", sa.String(length=64), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_template")),
    )
    with op.batch_alter_table("notification_template", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_template_tenant_id"), ["tenant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_template", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_template_tenant_id"))

    op.drop_table("notification_template")
    with op.batch_alter_table("notification_target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_target_tenant_id"))

    op.drop_table("notification_target")
    op.drop_table("notification_settings")
    with op.batch_alter_table("notification_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_rule_tenant_id"))

    op.drop_table("notification_rule")
    with op.batch_alter_table("notification_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_request_tenant_id"))

    op.drop_table("notification_request")
    with op.batch_alter_table("notification_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_delivery_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_notification_delivery_request_id"))

    op.drop_table("notification_delivery")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_recipient_id_status")

    op.drop_table("notification")
