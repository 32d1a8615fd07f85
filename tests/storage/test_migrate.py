"""Start-up migrations: Alembic runs only when the database is not at the scripts' heads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.storage.engine import create_engine
from industryos.storage.migrate import (
    alembic_config,
    at_heads,
    current_revision,
    script_heads,
    upgrade,
)
from tests.api.conftest import TEST_SECRET

NODE_START = """
import asyncio, json, sys
from industryos.config import load_settings
from industryos.node import Node

async def main() -> None:
    node = Node(load_settings())
    await node.start()
    loaded = sorted(m for m in ("alembic", "mako") if m in sys.modules)
    await node.stop()
    print(json.dumps({"ready": True, "loaded": loaded}))

asyncio.run(main())
"""


def test_script_heads_are_alembics_heads() -> None:
    alembic_heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert script_heads() == frozenset(alembic_heads)
    assert len(alembic_heads) > 1  # the tree has branches: every head must be found


def test_script_heads_read_annotated_and_merge_revisions(tmp_path: Path) -> None:
    scripts = {
        "a.py": 'revision = "a"\ndown_revision = None\n',
        "b.py": 'revision: str = "b"\ndown_revision: str | None = "a"\n',
        "c.py": "revision = 'c'\ndown_revision = 'a'\n",
        "m.py": 'revision = "m"\ndown_revision = ("b", "c")\n',
        "d.py": '"""Revision ID: d"""\nrevision = "d"\ndown_revision = "a"\n',
        "__init__.py": 'revision = "not a script"\n',
    }
    for name, text in scripts.items():
        (tmp_path / name).write_text(text)
    assert script_heads(tmp_path) == frozenset({"m", "d"})


async def test_database_at_heads_is_left_alone(engine: AsyncEngine) -> None:
    assert await at_heads(engine)
    before = await current_revision(engine)
    await upgrade(engine)
    assert await current_revision(engine) == before


async def test_out_of_date_database_is_migrated(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(alembic_config(c), "0006"))
    assert await current_revision(engine) == "0006"
    assert not await at_heads(engine)
    await upgrade(engine)
    assert await at_heads(engine)
    assert await current_revision(engine) == "+".join(sorted(script_heads()))


async def test_new_database_is_migrated(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    try:
        assert not await at_heads(engine)  # no alembic_version table yet
        await upgrade(engine)
        assert await at_heads(engine)
    finally:
        await engine.dispose()


def test_node_on_a_database_at_heads_starts_without_alembic(tmp_path: Path, db_url: str) -> None:
    env = {
        **os.environ,
        "INDUSTRYOS_DATA_DIR": str(tmp_path),
        "INDUSTRYOS_DB_URL": db_url,
        "INDUSTRYOS_JWT_SECRET": TEST_SECRET,
        "INDUSTRYOS_HTTP_HOST": "127.0.0.1",
        "INDUSTRYOS_HTTP_PORT": "0",
        "INDUSTRYOS_MQTT_PORT": "0",
        "INDUSTRYOS_MQTT_TLS_PORT": "0",
        "INDUSTRYOS_COAP_PORT": "0",
        "INDUSTRYOS_LOG_LEVEL": "WARNING",
    }
    run = subprocess.run(
        [sys.executable, "-c", NODE_START], env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {"ready": True, "loaded": []}
