"""Applies the Alembic migrations in ``storage/migrations`` to a database.

The node calls :func:`upgrade` on every start, so an upgrade of the package upgrades the
schema by itself; ``industryos migrate`` runs the same thing on its own.

Layers add their tables in migrations of their own; two written side by side may both
revise the same parent (independent branches). Upgrading to ``heads`` applies every branch,
so such branches need no merge revision as long as they touch different tables.

Importing Alembic (with Mako and Pygments behind it) costs a start a few hundred
milliseconds, and on most starts there is nothing to apply. So :func:`upgrade` first reads
the ``alembic_version`` rows with one query and compares them with the heads of the
migration scripts (read from their ``revision``/``down_revision`` lines, not imported);
only a database that differs goes through Alembic.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
VERSION_TABLE = "alembic_version"
"""Alembic's default version table (``migrations/env.py`` keeps the default)."""

_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations (no alembic.ini needed)."""
    from alembic.config import Config  # heavy: only when migrations really run

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script_revisions(text: str, name: str) -> tuple[str, tuple[str, ...]]:
    """``(revision, down revisions)`` of one migration script's source."""
    values: dict[str, object] = {}
    for key, expression in _ASSIGNMENT.findall(text):
        values.setdefault(key, ast.literal_eval(expression))
    revision, down = values.get("revision"), values.get("down_revision")
    if not isinstance(revision, str):
        raise ValueError(f"migration {name}: no literal revision id")
    if down is None:
        return revision, ()
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, (tuple, list)) and all(isinstance(d, str) for d in down):
        return revision, tuple(down)
    raise ValueError(f"migration {name}: down_revision is not a literal id or list of ids")


def _script_files(directory: Path) -> Iterable[Path]:
    """The files Alembic loads as revisions (``*.py``, not ``__init__``, no editor locks)."""
    for path in directory.glob("*.py"):
        if path.name != "__init__.py" and not path.name.startswith(".#"):
            yield path


def script_heads(directory: Path = VERSIONS_DIR) -> frozenset[str]:
    """The head revisions of the migration scripts: those no other script revises."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in _script_files(directory):
        revision, down = _script_revisions(path.read_text(encoding="utf-8"), path.name)
        revisions.add(revision)
        parents.update(down)
    return frozenset(revisions - parents)


async def _database_revisions(engine: AsyncEngine) -> frozenset[str] | None:
    """The revisions in ``alembic_version``, or None when the table cannot be read."""
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}"))
            return frozenset(str(row[0]) for row in rows)
    except DBAPIError:  # no table yet (a new database): Alembic decides, as before
        return None


async def at_heads(engine: AsyncEngine) -> bool:
    """True when the database is at exactly the heads of the migration scripts."""
    current = await _database_revisions(engine)
    return current is not None and current == script_heads()


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    """Bring the database behind ``engine`` up to ``revision``."""
    if revision == "heads" and await at_heads(engine):
        return
    from alembic import command  # heavy: only when there is something to apply

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
