"""Dashboard tables on the node's one ``metadata``: the dashboard and its customer links.

``configuration`` is ThingsBoard's dashboard JSON (widgets, states, layouts, entity aliases,
time window, settings), stored as given so that exported dashboards round-trip. A dashboard
can be shared with many customers (spec platform-api §3.3); ``dashboard_customer`` holds
those links, so that "the dashboards of customer X" is one indexed query; deleting either
side deletes the link (a deleted customer no longer has the dashboard, spec §3.3).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = ["dashboard", "dashboard_customer"]

dashboard = sa.Table(
    "dashboard",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("image", sa.Text()),
    sa.Column("mobile_hide", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("mobile_order", sa.Integer()),
    sa.Column("configuration", Json),
    sa.Column("external_id", sa.Uuid()),
    sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
)

dashboard_customer = sa.Table(
    "dashboard_customer",
    metadata,
    sa.Column(
        "dashboard_id",
        sa.Uuid(),
        sa.ForeignKey("dashboard.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "customer_id",
        sa.Uuid(),
        sa.ForeignKey("customer.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)
