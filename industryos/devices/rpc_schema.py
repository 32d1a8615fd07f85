"""The ``rpc`` table: persistent server-side RPCs, on the node's one ``metadata``.

The row id is the call's ``requestUUID`` (ThingsBoard's ``RpcId``). ``request`` holds what
is needed to send it again after a restart (method, params, oneway, timeout, retries and
the attempts made so far); ``response`` is the device's reply as it sent it (raw text,
usually JSON).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = ["rpc"]

rpc = sa.Table(
    "rpc",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("device_id", sa.Uuid(), nullable=False),
    sa.Column("expiration_time", sa.BigInteger(), nullable=False),
    sa.Column("request", Json, nullable=False),
    sa.Column("response", sa.Text()),
    sa.Column("additional_info", Json),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Index("ix_rpc_device_id_status", "device_id", "status"),
)
