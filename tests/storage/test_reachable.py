"""A database the node cannot reach is one clear error naming it, never its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from industryos.storage.engine import DatabaseUnreachable, check_reachable, create_engine
from tests.conftest import PG_ADMIN_DSN

PG = PG_ADMIN_DSN.replace("postgresql://", "postgresql+asyncpg://")
SERVER = PG.rpartition("/")[0]  # postgresql+asyncpg://user@host:port


async def _refusal(url: str) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(DatabaseUnreachable) as refused:
            await check_reachable(engine)
    finally:
        await engine.dispose()
    return str(refused.value)


async def test_a_server_that_refuses_connections(refused_port: int) -> None:
    url = f"postgresql+asyncpg://postgres@127.0.0.1:{refused_port}/test"
    message = await _refusal(url)
    assert message.startswith(f"the database {url} does not accept a connection: ")
    assert "refused" in message.lower() or "failed" in message.lower()


async def test_a_database_that_does_not_exist() -> None:
    message = await _refusal(f"{SERVER}/industryos_no_such_database")
    assert message.endswith('database "industryos_no_such_database" does not exist')


async def test_a_refused_role_is_named_without_its_password() -> None:
    host = SERVER.rpartition("@")[2]
    message = await _refusal(f"postgresql+asyncpg://no_such_role:s3cret@{host}/test")
    assert "s3cret" not in message
    assert "no_such_role:***@" in message
    assert 'role "no_such_role" does not exist' in message


async def test_a_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    message = await _refusal(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/data.db")
    assert message.endswith("does not accept a connection: unable to open database file")


async def test_a_reachable_database_passes(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await check_reachable(engine)
    finally:
        await engine.dispose()
