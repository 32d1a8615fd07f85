"""Notification tables on the node's one ``metadata``.

Targets, templates and rules keep their wire JSON in ``body`` (their configuration is
polymorphic and only the notify layer reads it) next to the columns lists filter on.
``notification`` holds WEB notifications, one per recipient; ``notification_delivery`` is
the delivery log: one row per request, method and recipient, with attempts and last error.
``notification_settings`` holds mail/SMS/Slack settings per tenant (NULL UUID = system).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = [
    "notification",
    "notification_delivery",
    "notification_request",
    "notification_rule",
    "notification_settings",
    "notification_target",
    "notification_template",
]


def _named(name: str, *extra: sa.Column[object]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("name", sa.String(255), nullable=False),
        *extra,
        sa.Column("body", Json, nullable=False),
    )


notification_target = _named("notification_target")
notification_template = _named(
    "notification_template", sa.Column("notification_type", sa.String(64), nullable=False)
)
notification_rule = _named(
    "notification_rule",
    sa.Column("trigger_type", sa.String(64), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
)

notification_request = sa.Table(
    "notification_request",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("rule_id", sa.Uuid()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("body", Json, nullable=False),
)

notification = sa.Table(
    "notification",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("request_id", sa.Uuid(), nullable=False),
    sa.Column("recipient_id", sa.Uuid(), nullable=False),
    sa.Column("type", sa.String(64), nullable=False),
    sa.Column("subject", sa.Text()),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("additional_config", Json),
    sa.Column("info", Json),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Index("ix_notification_recipient_id_status", "recipient_id", "status"),
)

notification_delivery = sa.Table(
    "notification_delivery",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("updated_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("request_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("recipient", sa.String(512), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("error", sa.Text()),
)

notification_settings = sa.Table(
    "notification_settings",
    metadata,
    sa.Column("tenant_id", sa.Uuid(), primary_key=True),
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", Json, nullable=False),
)
