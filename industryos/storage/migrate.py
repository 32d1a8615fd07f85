"""Applies the Alembic migrations in ``storage/migrations`` to a database.

The node calls :func:`upgrade` on every start, so an upgrade of the package upgrades the
schema by itself; ``industryos migrate`` runs the same thing on its own.

Layers add their tables in migrations of their own; two written side by side may both
revise the same parent (independent branches). Upgrading to ``heads`` applies every branch,
so such branches need no merge revision as long as they touch different tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Bring the database behind ``engine`` up to ``revision``."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(alembic_config(sync_conn), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision(s) the database is at (``a+b`` for several heads), or None when empty."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        heads = await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_heads()
        )
    return "+".join(sorted(heads)) if heads else None
