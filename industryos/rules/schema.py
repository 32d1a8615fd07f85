"""Tables of rule chains and their nodes, on the node's one ``metadata``.

A chain's nodes are rows of ``rule_node`` (their ids are what the REST metadata returns);
the connections between them, the legacy rule-chain connections and the editor's notes
are kept as JSON on the chain row, since they only mean something with the node list and
are always read and replaced together with it (spec platform-api §5.3).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = ["rule_chain", "rule_node"]

rule_chain = sa.Table(
    "rule_chain",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("type", sa.String(32), nullable=False, server_default="CORE"),
    sa.Column("root", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("debug_mode", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("first_rule_node_id", sa.Uuid()),
    sa.Column("configuration", Json),
    sa.Column("additional_info", Json),
    sa.Column("connections", Json),
    sa.Column("rule_chain_connections", Json),
    sa.Column("notes", Json),
    sa.Column("external_id", sa.Uuid()),
    sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
)

rule_node = sa.Table(
    "rule_node",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("rule_chain_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("idx", sa.Integer(), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("debug_mode", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("debug_settings", Json),
    sa.Column("singleton_mode", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("queue_name", sa.String(255)),
    sa.Column("configuration_version", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("configuration", Json),
    sa.Column("additional_info", Json),
    sa.Column("external_id", sa.Uuid()),
)
