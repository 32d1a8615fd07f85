"""The pre-rule-engine consumer stores device data from the queue and acks after commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.default_consumer import DefaultConsumer
from industryos.telemetry.kv import AttributeScope
from tests.support.core import CoreWithTenant, core_with_tenant


@pytest.fixture
async def env(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[CoreWithTenant]:
    env = await core_with_tenant(engine, tmp_path / "core")
    yield env
    await env.close()


def _msg(tenant: uuid.UUID, device: uuid.UUID, msg_type: MsgType, data: object, ts: int) -> Msg:
    return Msg(
        type=msg_type.value,
        originator=EntityRef(EntityType.DEVICE, device),
        tenant_id=tenant,
        data=orjson.dumps(data).decode(),
        metadata={"deviceName": "d", "deviceType": "default", "ts": str(ts)},
    )


async def _wait_for(predicate: object, limit_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + limit_s
    while not await predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_stores_telemetry_and_client_attributes(env: CoreWithTenant, tmp_path: Path) -> None:
    tenant = env.admin.tenant_id
    device = uuid.uuid4()
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    telemetry = env.core.telemetry
    consumer = DefaultConsumer(queue, "Main", telemetry)
    await consumer.start()
    try:
        await queue.append_many(
            "Main",
            [
                _msg(tenant, device, MsgType.POST_TELEMETRY_REQUEST, {"t": 21.5, "n": 3}, 1000),
                _msg(tenant, device, MsgType.POST_TELEMETRY_REQUEST, {"t": 22.5}, 2000),
                _msg(
                    tenant,
                    device,
                    MsgType.POST_ATTRIBUTES_REQUEST,
                    {"fw": "v1.0", "rev": "7"},
                    2000,
                ),
                _msg(tenant, device, MsgType.ENTITY_CREATED, {"name": "x"}, 2000),
            ],
        )

        async def stored() -> bool:
            return consumer.processed >= 4

        await _wait_for(stored)
        latest = {e.key: e for e in await telemetry.get_latest(tenant, device)}
        assert latest["t"].ts == 2000
        assert latest["t"].native_value() == 22.5
        assert latest["n"].native_value() == 3
        attributes = await telemetry.get_attributes(tenant, device, AttributeScope.CLIENT_SCOPE)
        client = attributes[AttributeScope.CLIENT_SCOPE]
        assert [(a.key, a.native_value()) for a in client] == [("fw", "v1.0"), ("rev", 7)]
    finally:
        await consumer.stop()
        await queue.close()


async def test_unacked_messages_are_replayed_after_restart(
    env: CoreWithTenant, tmp_path: Path
) -> None:
    tenant = env.admin.tenant_id
    device = uuid.uuid4()
    config = EmbeddedQueueConfig(data_dir=tmp_path / "queue")
    queue = await EmbeddedQueue.open(config)
    # Join the group first so retention keeps what the group has not acked.
    consumer = DefaultConsumer(queue, "Main", env.core.telemetry)
    await consumer.start()
    await consumer.stop()
    await queue.append("Main", _msg(tenant, device, MsgType.POST_TELEMETRY_REQUEST, {"v": 1}, 5))
    await queue.close()

    queue = await EmbeddedQueue.open(config)
    consumer = DefaultConsumer(queue, "Main", env.core.telemetry)
    await consumer.start()
    try:

        async def stored() -> bool:
            return bool(await env.core.telemetry.get_latest(tenant, device, ["v"]))

        await _wait_for(stored)
    finally:
        await consumer.stop()
        await queue.close()
