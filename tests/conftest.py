"""Shared fixtures: a migrated database on each engine, fresh for every test, and cheap
password hashes.

PostgreSQL tests use the real server on 127.0.0.1:5432 (``INDUSTRYOS_TEST_PG`` overrides the
admin URL). A template database is migrated once per session and cloned per test; every
database this run creates has a unique name. A test's database is dropped by a background
thread as soon as the test ends (a drop takes a while, and hundreds of them at session end
would outlast any per-test timeout); what is left is dropped at the end.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from industryos.entities import passwords
from industryos.storage.engine import create_engine
from industryos.storage.migrate import upgrade

pytest_plugins = ["tests.support.jetstream"]

PG_ADMIN_DSN = os.environ.get("INDUSTRYOS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_TAG = f"iostest_{os.getpid()}_{uuid.uuid4().hex[:6]}"


PRODUCTION_HASHER = passwords._hasher
"""The node's own hasher, for the tests of the hashing cost."""

CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""argon2id at a small cost: the same algorithm and hash format as production, without
~0.13 s of CPU and 64 MiB for every account a test creates or signs in (hundreds of
tests do, several times each). Tests of the cost itself use `production_password_cost`."""


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Hash passwords in this process with :data:`CHEAP_HASHER` (nodes started as their own
    process keep the production cost)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", CHEAP_HASHER)
        yield


COLLECT_AFTER_EACH_TEST = os.environ.get("INDUSTRYOS_TEST_GC_EACH") == "1"
"""Set ``INDUSTRYOS_TEST_GC_EACH=1`` to collect garbage after every test. An object left
unclosed (a socket, a database connection) warns when the collector finalises it, and the
suite turns that warning into an error of whichever test is running then; collecting after
each test pins it on the test that dropped it (the whole suite then takes about twice as
long, so it is off by default)."""


@pytest.fixture(autouse=True)
def _collect_after_each_test() -> Iterator[None]:
    yield
    if COLLECT_AFTER_EACH_TEST:
        gc.collect()


@pytest.fixture
def production_password_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test of what the hashing cost does: hash with the node's own hasher."""
    monkeypatch.setattr(passwords, "_hasher", PRODUCTION_HASHER)


def _pg_dsn(database: str) -> str:
    base, _, _ = PG_ADMIN_DSN.rpartition("/")
    return f"{base}/{database}"


async def _pg_admin(*statements: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


class DatabaseFactory:
    """Clones a migrated template database for each test, and drops the clones at the end."""

    def __init__(self, tmp_root: Path) -> None:
        self._tmp_root = tmp_root
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None
        self._pg_databases: list[str] = []
        self._count = 0
        self._dropper = ThreadPoolExecutor(1, thread_name_prefix="drop-test-db")
        self._drops: list[Future[None]] = []

    def new_url(self, kind: str) -> str:
        """A URL of a fresh, migrated database of ``kind`` (sqlite or postgresql)."""
        self._count += 1
        if kind == "sqlite":
            if self._sqlite_template is None:
                template = self._tmp_root / "template.db"
                asyncio.run(_migrate(f"sqlite+aiosqlite:///{template}"))
                self._sqlite_template = template
            target = self._tmp_root / f"db{self._count}.db"
            shutil.copy(self._sqlite_template, target)
            return f"sqlite+aiosqlite:///{target}"
        if self._pg_template is None:
            pg_template = f"{RUN_TAG}_template"
            asyncio.run(_pg_admin(f'CREATE DATABASE "{pg_template}"'))
            self._pg_databases.append(pg_template)
            asyncio.run(
                _migrate(_pg_dsn(pg_template).replace("postgresql://", "postgresql+asyncpg://"))
            )
            self._pg_template = pg_template
        name = f"{RUN_TAG}_{self._count}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"'))
        self._pg_databases.insert(0, name)
        return _pg_dsn(name).replace("postgresql://", "postgresql+asyncpg://")

    def release(self, url: str) -> None:
        """The test using ``url`` is over: drop its PostgreSQL database in the background."""
        name = url.rpartition("/")[2]
        if url.startswith("postgresql") and name in self._pg_databases:
            self._pg_databases.remove(name)
            self._drops.append(self._dropper.submit(_drop, name))

    def drop_all(self) -> None:
        """Wait for the background drops, then drop every database still left."""
        self._dropper.shutdown(wait=True)
        for drop in self._drops:
            drop.result()  # a failed drop is an error of the run, not something to hide
        if self._pg_databases:
            asyncio.run(
                _pg_admin(
                    *(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in self._pg_databases)
                )
            )


def _drop(name: str) -> None:
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, database_factory: DatabaseFactory) -> Iterator[str]:
    """A fresh migrated database, once per engine; dropped once the test is over."""
    url = database_factory.new_url(request.param)
    yield url
    database_factory.release(url)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on :func:`db_url`; the test fails if a connection is still in use at its end.

    Every fixture built on the engine has been torn down by then, so a connection still
    out belongs to a task that outlived its owner. It would be checked in to the disposed
    pool, never closed, and reported by the garbage collector in some later test.
    """
    eng = create_engine(db_url)
    yield eng
    assert isinstance(eng.pool, QueuePool)  # test databases are files or servers
    in_use = eng.pool.checkedout()
    await eng.dispose()
    assert in_use == 0, f"{in_use} database connection(s) still in use after the test"


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port bound but not listening (so no one takes it): connections are refused."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]
