"""A rule engine over a real queue and database, with a tenant whose chains tests replace."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.engine import RuleEngine, RuleEngineConfig
from industryos.rules.entities import EntityFields
from industryos.rules.events import EventQueries, EventWriter, RuleEvents
from industryos.rules.model import ChainMetadata, RuleChain
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.nodes.relation_access import RuleRelations
from industryos.rules.scripts.engine import ScriptLimits
from industryos.rules.service import RuleChainService
from industryos.rules.strategy import ProcessingStrategy, QueueSettings, SubmitStrategy
from tests.support.core import CoreWithTenant, core_with_tenant

P = "org.thingsboard.rule.engine."


@dataclass
class RuleEnv:
    """Core services, the chain service, a running engine and its queue."""

    base: CoreWithTenant
    chains: RuleChainService
    engine: RuleEngine
    queue: EmbeddedQueue
    events: RuleEvents
    """The engine's debug hook (events flushed every 50 ms)."""

    @property
    def event_queries(self) -> EventQueries:
        """The read side of the events REST."""
        return EventQueries(self.base.core.db, self.base.core.lookup)

    @property
    def tenant_id(self) -> uuid.UUID:
        """The test tenant."""
        return self.base.admin.tenant_id

    async def install_root(
        self, nodes: list[dict[str, Any]], connections: list[tuple[int, int, str]], first: int = 0
    ) -> uuid.UUID:
        """Store a chain and make it the tenant's root."""
        chain = await self.chains.save(
            self.base.admin, RuleChain(name=f"test-{uuid.uuid4().hex[:6]}")
        )
        assert chain.id is not None
        meta = ChainMetadata.from_wire(
            {
                "ruleChainId": {"id": str(chain.id)},
                "firstNodeIndex": first,
                "nodes": nodes,
                "connections": [
                    {"fromIndex": a, "toIndex": b, "type": t} for a, b, t in connections
                ],
            }
        )
        await self.chains.save_metadata(self.base.admin, meta)
        await self.chains.set_root(self.base.admin, chain.id)
        return chain.id

    def msg(
        self,
        device: uuid.UUID,
        data: Any,
        msg_type: str = MsgType.POST_TELEMETRY_REQUEST,
        ts: int = 1000,
    ) -> Msg:
        """A device message of the test tenant."""
        return Msg(
            type=msg_type,
            originator=EntityRef(EntityType.DEVICE, device),
            tenant_id=self.tenant_id,
            data=orjson.dumps(data).decode(),
            metadata={"deviceName": "d", "deviceType": "default", "ts": str(ts)},
        )


def node(clazz: str, name: str = "n", **configuration: Any) -> dict[str, Any]:
    """A node of a chain's metadata."""
    return {"type": P + clazz, "name": name, "configuration": configuration}


def debugged(node_json: dict[str, Any]) -> dict[str, Any]:
    """The node with legacy ``debugMode`` on."""
    return {**node_json, "debugMode": True}


def script_node(clazz: str, script: str, name: str = "s") -> dict[str, Any]:
    """A JS script node."""
    return node(clazz, name, scriptLang="JS", jsScript=script)


async def wait_for(predicate: Callable[[], Awaitable[bool]], limit_s: float = 60.0) -> None:
    """Poll until ``predicate`` holds (fails the test after ``limit_s``)."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


TEST_QUEUES = (
    QueueSettings(
        "Main", SubmitStrategy.BURST, ProcessingStrategy.SKIP_ALL_FAILURES, 3, 0.05, 0.1, 10.0
    ),
    QueueSettings(
        "HighPriority",
        SubmitStrategy.BURST,
        ProcessingStrategy.RETRY_FAILED_AND_TIMED_OUT,
        3,
        0.05,
        0.1,
        10.0,
    ),
)


@pytest.fixture
async def rules(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[RuleEnv]:
    base = await core_with_tenant(engine, tmp_path / "core")
    chains = RuleChainService(base.core.db)
    await chains.ensure_root_chains()
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "queue"))
    config = RuleEngineConfig(
        queues=TEST_QUEUES,
        scripts=ScriptLimits(timeout_s=0.5, max_memory_bytes=32 * 1024 * 1024, max_errors=0),
    )
    events = RuleEvents(
        base.core.db,
        EventWriter(base.core.db, ttl_s=3600, flush_interval_s=0.05),
        server="test-node",
    )
    chains.on_changed(events.chain_changed)
    await events.start()
    services = ServiceSet(
        telemetry=base.core.telemetry, debug=events, relations=RuleRelations(base.core.db)
    )
    rule_engine = RuleEngine(queue, chains, services, EntityFields(base.core.db), config)
    await rule_engine.start()
    env = RuleEnv(base, chains, rule_engine, queue, events)
    yield env
    await rule_engine.stop()
    await events.stop()
    await queue.close()
    await base.close()
