"""Alembic environment: runs on the connection handed over by ``storage.migrate``."""

from __future__ import annotations

from typing import Any

from alembic import context

from industryos.storage.tables import metadata
from industryos.storage.timeseries.partitions import is_partition_table


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out the ``ts_kv`` partitions: created at run time, not declared in the metadata."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = name if type_ == "table" else getattr(table, "name", None)
    return not (reflected and table_name is not None and is_partition_table(table_name))


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
