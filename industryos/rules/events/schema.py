"""The ``rule_event`` table: debug, lifecycle, error and statistics events of rule nodes.

One flat table for the four event kinds ThingsBoard keeps in separate tables: the columns
every filter of the events REST (``EventFilter``) needs are real columns, so a filter is a
``WHERE`` clause, and rows are only ever inserted in batches and deleted by age (TTL).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import metadata

__all__ = ["rule_event"]

rule_event = sa.Table(
    "rule_event",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False),
    sa.Column("entity_type", sa.String(32), nullable=False),
    sa.Column("entity_id", sa.Uuid(), nullable=False),
    sa.Column("event_type", sa.String(32), nullable=False),
    sa.Column("server", sa.String(255)),
    # IN/OUT (debug), the lifecycle event (LC_EVENT) or the failing method (ERROR)
    sa.Column("kind", sa.String(64)),
    sa.Column("msg_id", sa.Uuid()),
    sa.Column("msg_type", sa.String(255)),
    sa.Column("data_type", sa.String(16)),
    sa.Column("relation_type", sa.String(255)),
    sa.Column("originator_type", sa.String(32)),
    sa.Column("originator_id", sa.Uuid()),
    sa.Column("data", sa.Text()),
    sa.Column("metadata", sa.Text()),
    sa.Column("error", sa.Text()),
    sa.Column("success", sa.Boolean()),
    sa.Column("messages_processed", sa.BigInteger()),
    sa.Column("errors_occurred", sa.BigInteger()),
    sa.Index("ix_rule_event_entity", "tenant_id", "entity_id", "event_type", "created_time"),
    sa.Index("ix_rule_event_created_time", "created_time"),
)
