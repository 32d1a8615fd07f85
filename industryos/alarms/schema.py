"""Alarm tables on the node's one ``metadata``.

``alarm`` holds the entity (spec platform-api §6.4). ``alarm_entity`` lists, for each alarm,
every entity it is shown under: its originator plus the entities it propagates to (related
entities, owner, tenant), computed when the alarm is raised; so "alarms of entity X" is one
indexed join whether or not the alarm was propagated. ``alarm_comment`` keeps comments.
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = ["alarm", "alarm_comment", "alarm_entity"]

alarm = sa.Table(
    "alarm",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("customer_id", sa.Uuid(), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("originator_type", sa.String(32), nullable=False),
    sa.Column("originator_id", sa.Uuid(), nullable=False),
    sa.Column("severity", sa.String(32), nullable=False),
    sa.Column("acknowledged", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("cleared", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("assignee_id", sa.Uuid()),
    sa.Column("start_ts", sa.BigInteger(), nullable=False),
    sa.Column("end_ts", sa.BigInteger(), nullable=False),
    sa.Column("ack_ts", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("clear_ts", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("assign_ts", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("details", Json),
    sa.Column("propagate", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("propagate_to_owner", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("propagate_to_tenant", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("propagate_relation_types", Json),
    sa.Index("ix_alarm_originator_id_type", "originator_id", "type"),
)

alarm_entity = sa.Table(
    "alarm_entity",
    metadata,
    sa.Column("alarm_id", sa.Uuid(), primary_key=True),
    sa.Column("entity_id", sa.Uuid(), primary_key=True, index=True),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False),
)

alarm_comment = sa.Table(
    "alarm_comment",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("alarm_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("user_id", sa.Uuid()),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("comment", Json),
)
