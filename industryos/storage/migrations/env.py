"""Alembic environment: runs on the connection handed over by ``storage.migrate``."""

from __future__ import annotations

from alembic import context

from industryos.storage.tables import metadata
from industryos.storage.timeseries.partitions import include_in_migrations

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_in_migrations,  # ts_kv partitions are created at run time
)
with context.begin_transaction():
    context.run_migrations()
