"""The ``ota_package`` table (migration 0009) and ``ota_package_content`` (0011).

Only the package's description lives in ``ota_package``; ``has_data`` turns true once the
content is stored, with its size, checksum, file name and content type. The content itself
is in a content store (``content.py``): a file in the data dir on SQLite, a PostgreSQL
large object on PostgreSQL, whose oid ``ota_package_content`` maps from the package id
(the table exists on SQLite too, empty, so both engines share one schema).
"""

from __future__ import annotations

import sqlalchemy as sa

from industryos.storage.schema import Json, metadata

__all__ = ["ota_package", "ota_package_content"]

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

ota_package_content = sa.Table(
    "ota_package_content",
    metadata,
    sa.Column("package_id", sa.Uuid(), primary_key=True),
    sa.Column("lo_oid", sa.BigInteger(), nullable=False),
)
