"""A storage outage never makes the rule engine skip an acknowledged device message.

The queue strategy of ``Main`` skips failed messages (ThingsBoard's default), but a message
that failed because the database was unreachable is retried until it is back: the device
already got its PUBACK. The outage is real: the test database stops accepting connections
and its sessions are terminated, then it is opened again.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from tests.conftest import PG_ADMIN_DSN
from tests.rules.conftest import RuleEnv, wait_for


async def _set_connectable(database: str, allowed: bool) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(
            f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        if not allowed:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
    finally:
        await conn.close()


async def test_message_is_stored_after_the_database_comes_back(rules: RuleEnv) -> None:
    db = rules.base.core.db
    if db.is_sqlite:
        pytest.skip("the outage is simulated on the PostgreSQL server")
    database = db.engine.url.database
    assert database is not None
    telemetry = rules.base.core.telemetry
    device = uuid.uuid4()
    main = rules.engine.queue_stats()
    retried_before = sum(q["retriedMsgs"] for q in main if q["queueName"] == "Main")

    await _set_connectable(database, False)
    try:
        await rules.queue.append("Main", rules.msg(device, {"kept": 42}))
        # Main gives up a failed message after 3 retries within a second; an outage
        # message must still be retrying well after that.
        await asyncio.sleep(2.0)
        retried = sum(
            q["retriedMsgs"] for q in rules.engine.queue_stats() if q["queueName"] == "Main"
        )
        assert retried - retried_before >= 4
    finally:
        await _set_connectable(database, True)

    async def stored() -> bool:
        latest = await telemetry.get_latest(rules.tenant_id, device, ["kept"])
        return [point.native_value() for point in latest] == [42]

    await wait_for(stored)
