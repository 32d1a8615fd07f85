"""The ``alarm_rule_state`` table: persisted alarm-rule counters of the device profile node.

ThingsBoard's ``rule_node_state``: one row per (rule node, device) holding the JSON of the
device's rule states. The device foreign key cascades, so deleting a device deletes its
rows; ``tenant_id`` scopes every read.
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import metadata

__all__ = ["alarm_rule_state"]

alarm_rule_state = sa.Table(
    "alarm_rule_state",
    metadata,
    sa.Column("rule_node_id", sa.Uuid(), primary_key=True),
    sa.Column(
        "device_id",
        sa.Uuid(),
        sa.ForeignKey("device.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("tenant_id", sa.Uuid(), nullable=False),
    sa.Column("updated_time", sa.BigInteger(), nullable=False),
    sa.Column("state_data", sa.Text(), nullable=False),
    sa.Index("ix_alarm_rule_state_device_id", "device_id"),
    sa.Index("ix_alarm_rule_state_tenant_node", "tenant_id", "rule_node_id"),
)
