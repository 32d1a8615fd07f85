"""Identical nodes started at once on one new PostgreSQL database (a cluster's first start,
each node a process of its own): the migrations run once, the first data is made once, and
every node starts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx
import pytest

from industryos.demo import TENANT_ADMIN_EMAIL
from tests.support.node_process import RunningNode, start_node_process
from tests.support.pg_server import pg_server

NODES = 3


@pytest.mark.timeout(180)
def test_nodes_starting_together_on_a_new_database_make_its_first_data_once(
    tmp_path: Path,
) -> None:
    with pg_server() as database:
        env = {"INDUSTRYOS_DB_URL": database.url, "INDUSTRYOS_JWT_SECRET": "first-" + "s" * 60}
        nodes: list[RunningNode] = []
        try:
            for n in range(NODES):
                (tmp_path / f"node-{n}").mkdir()
                nodes.append(start_node_process(tmp_path / f"node-{n}", env))
            for node in nodes:
                ports = node.wait_ready(120)
                login = httpx.post(
                    f"http://127.0.0.1:{ports.http}/api/auth/login",
                    json={"username": TENANT_ADMIN_EMAIL, "password": "tenant"},
                    timeout=10,
                )
                assert login.status_code == 200, (login.text, node.tail())
        finally:
            for node in nodes:
                node.stop(30)
        counts = asyncio.run(_counts(database.url))
    assert counts == {"tenant": 1, "tb_user": 3, "device": 3}


async def _counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("tenant", "tb_user", "device")
        }
    finally:
        await conn.close()
