"""The ``ota_package`` table on the node's one ``metadata`` (migration 0009).

Only the package's description lives here; its content is a file in the data dir
(``content.py``), in both SQLite and PostgreSQL mode, so a download streams from disk and
a 100 MiB image never passes through the database driver. ``has_data`` turns true once
the content is stored, with its size, checksum, file name and content type.
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = ["ota_package"]

ota_package = sa.Table(
    "ota_package",
    metadata,
    sa.Column("id", sa.Uuid(), primary_key=True),
    sa.Column("created_time", sa.BigInteger(), nullable=False),
    sa.Column("tenant_id", sa.Uuid(), nullable=False, index=True),
    sa.Column("device_profile_id", sa.Uuid()),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("version", sa.String(255), nullable=False),
    sa.Column("tag", sa.String(255)),
    sa.Column("url", sa.String(1024)),
    sa.Column("file_name", sa.String(255)),
    sa.Column("content_type", sa.String(255)),
    sa.Column("checksum_algorithm", sa.String(32)),
    sa.Column("checksum", sa.String(1020)),
    sa.Column("data_size", sa.BigInteger()),
    sa.Column("has_data", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("additional_info", Json),
    sa.Column("external_id", sa.Uuid()),
    sa.UniqueConstraint("tenant_id", "title", "version"),
)
