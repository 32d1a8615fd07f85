"""The rule engine: queues in, chains run, nodes' services out.

:class:`RuleEngine` owns one :class:`QueueRunner` per configured queue, the compiled
chains (built on first use, swapped when :class:`RuleChainService` reports a change, so
new messages see a saved chain without a restart), and the tenant's V8 isolates. A
message runs through, in order of preference: the chain a checkpoint resumes, the default
chain of the device's profile (metadata ``deviceType``, cached for ``profile_cache_s``),
or the tenant's root chain. A message whose tenant has no chain is acknowledged.

Extension points for later tasks: alarm nodes register in :mod:`industryos.rules.nodes`
(see ``nodes/profile.py``); device-state events (ACTIVITY_EVENT…) only need to be
appended to the ``Main`` queue to flow through the root chain's ``Other`` branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from industryos.cached_reads import CachedReads
from industryos.entities.ids import EntityType
from industryos.msg import Msg
from industryos.queue.interface import Queue, QueueConfigError
from industryos.rules.consumer import QueueRunner
from industryos.rules.entities import EntityFields
from industryos.rules.errors import ChainLoopError, NodeFailure
from industryos.rules.nodes.base import ARRIVED_ON, Emit, NestedChains, ServiceSet
from industryos.rules.nodes.flow import RESUME_KEY
from industryos.rules.runtime import ChainRun, CompiledChain, compile_chain
from industryos.rules.scripts.engine import ScriptEngine, ScriptLimits
from industryos.rules.service import RuleChainService
from industryos.rules.strategy import DEFAULT_QUEUES, QueueSettings

__all__ = ["RuleEngine", "RuleEngineConfig"]

log = logging.getLogger(__name__)

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("rule_chain_depth", default=0)


@dataclass(frozen=True, slots=True)
class RuleEngineConfig:
    """Queues, consumer group, script limits and caches of the rule engine."""

    queues: tuple[QueueSettings, ...] = DEFAULT_QUEUES
    group: str = "rule-engine"
    scripts: ScriptLimits = field(default_factory=ScriptLimits)
    max_nesting: int = 8
    profile_cache_s: float = 10.0


class _Nested(NestedChains):
    """What the "rule chain" node sees: run another chain of the same tenant."""

    def __init__(self, engine: RuleEngine) -> None:
        self._engine = engine

    async def run(self, tenant_id: uuid.UUID, chain_id: uuid.UUID, msg: Msg) -> list[Emit]:
        """Outputs of the nested chain; its unconnected failure fails this node."""
        depth = _depth.get()
        if depth >= self._engine.config.max_nesting:
            raise ChainLoopError(f"Rule chains nested deeper than {depth} levels")
        chain = await self._engine.compiled(tenant_id, chain_id)
        if chain is None:
            raise NodeFailure(f"Rule chain {chain_id} not found")
        run = ChainRun()
        token = _depth.set(depth + 1)
        try:
            await chain.run(msg, run, ARRIVED_ON.get())  # the label the caller got it on
        finally:
            _depth.reset(token)
        if run.error is not None and not run.outputs:
            raise NodeFailure(run.error)
        return run.outputs


class RuleEngine:
    """Runs every queued message through its tenant's chain."""

    def __init__(
        self,
        queue: Queue,
        chains: RuleChainService,
        services: ServiceSet,
        entities: EntityFields,
        config: RuleEngineConfig | None = None,
    ) -> None:
        self.config = config or RuleEngineConfig()
        self.chains = chains
        self.scripts = ScriptEngine(self.config.scripts)
        self._queue = queue
        self._entities = entities
        services.scripts = self.scripts.for_node
        services.chains = _Nested(self)
        services.queue = queue
        services.entities = entities
        self.services = services
        self.runners: list[QueueRunner] = []
        self._compiled: dict[uuid.UUID, CompiledChain] = {}
        self._building: dict[uuid.UUID, asyncio.Future[CompiledChain | None]] = {}
        self._generation: dict[uuid.UUID, int] = {}
        self._roots: CachedReads[uuid.UUID, uuid.UUID | None] = CachedReads(chains.root_id)
        """Each tenant's root chain, until a chain of the tenant changes."""
        self._profiles: CachedReads[uuid.UUID, dict[str, uuid.UUID]] = CachedReads(
            entities.profile_chains, ttl_s=self.config.profile_cache_s
        )
        """Each tenant's device type → profile chain map, re-read every ``profile_cache_s``."""
        self._cleanup: set[asyncio.Task[None]] = set()
        self._reports: dict[str, Callable[[], dict[str, Any]]] = {}
        chains.on_changed(self._chain_changed)

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Consume every configured queue the durable queue has."""
        for settings in self.config.queues:
            try:
                self._queue.partition_count(settings.name)
            except QueueConfigError:
                log.warning("rule engine queue %s has no topic; not consumed", settings.name)
                continue
            runner = QueueRunner(self._queue, settings, self.config.group, self.process)
            await runner.start()
            self.runners.append(runner)

    async def stop(self) -> None:
        """Stop the queues (unfinished messages replay later), then the nodes and isolates."""
        for runner in self.runners:
            await runner.stop()
        self.runners.clear()
        await self._roots.close()
        await self._profiles.close()
        for chain in list(self._compiled.values()):
            await chain.destroy()
        self._compiled.clear()
        for task in list(self._cleanup):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.scripts.close()

    # -- one message -----------------------------------------------------------------------

    async def process(self, msg: Msg) -> ChainRun:
        """Run ``msg`` through the chain it belongs to."""
        run = ChainRun()
        resume = msg.metadata.get(RESUME_KEY)
        if resume is not None:
            metadata = {k: v for k, v in msg.metadata.items() if k != RESUME_KEY}
            msg = msg.with_changes(metadata=metadata)
            chain_text, _, node_text = resume.partition(":")
            chain = await self.compiled(msg.tenant_id, uuid.UUID(chain_text))
            if chain is not None:
                await chain.resume_after(uuid.UUID(node_text), msg, run)
            return run
        chain_id = await self._chain_for(msg)
        if chain_id is None:
            return run
        chain = await self.compiled(msg.tenant_id, chain_id)
        if chain is not None:
            await chain.run(msg, run)
        return run

    async def _chain_for(self, msg: Msg) -> uuid.UUID | None:
        tenant_id = msg.tenant_id
        device_type = msg.metadata.get("deviceType")
        if device_type and msg.originator.entity_type is EntityType.DEVICE:
            chains = self._profiles.peek(tenant_id)  # the hot path: no coroutine
            if chains is None:
                chains = await self._profiles.get(tenant_id)
            profile_chain = chains.get(device_type)
            if profile_chain is not None:
                return profile_chain
        root = self._roots.peek(tenant_id)
        return root if root is not None else await self._roots.get(tenant_id)

    async def compiled(self, tenant_id: uuid.UUID, chain_id: uuid.UUID) -> CompiledChain | None:
        """The runnable chain (built once per saved version)."""
        chain = self._compiled.get(chain_id)
        if chain is not None:
            return chain if chain.tenant_id == tenant_id else None
        building = self._building.get(chain_id)
        if building is not None:
            return await asyncio.shield(building)
        future: asyncio.Future[CompiledChain | None] = asyncio.get_running_loop().create_future()
        self._building[chain_id] = future
        generation = self._generation.get(chain_id, 0)
        try:
            loaded = await self.chains.load(tenant_id, chain_id)
            built = None
            if loaded is not None:
                built = compile_chain(loaded[0], loaded[1], self.services, self._emit_later)
                if self._generation.get(chain_id, 0) == generation:
                    self._compiled[chain_id] = built
            future.set_result(built)
            return built
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            del self._building[chain_id]

    async def _emit_later(
        self, chain_id: uuid.UUID, node_id: uuid.UUID, emits: Sequence[Emit]
    ) -> None:
        chain = self._compiled.get(chain_id)
        if chain is not None:
            await chain.emit_from(node_id, emits)

    def device_profile_changed(self, tenant_id: uuid.UUID, profile_id: uuid.UUID) -> None:
        """A device profile was saved: its tenant's profile chains are read again, and every
        device profile node evaluates its new alarm rules."""
        self._profiles.forget(tenant_id)
        if self.services.alarms is not None:
            self.services.alarms.profile_changed(profile_id)

    def device_changed_elsewhere(self, device_id: uuid.UUID) -> None:
        """Another cluster node changed or deleted a device (its ENTITY_UPDATED went into
        that node's queue): device profile nodes here drop what they hold of it."""
        if self.services.alarms is not None:
            self.services.alarms.device_changed(device_id)

    def _chain_changed(self, tenant_id: uuid.UUID, chain_id: uuid.UUID | None) -> None:
        """Forget what a change made stale; in-flight messages finish on the old chain."""
        self._roots.forget(tenant_id)
        self._profiles.forget(tenant_id)
        doomed = [chain_id] if chain_id is not None else []
        if chain_id is None:
            doomed = [cid for cid, c in self._compiled.items() if c.tenant_id == tenant_id]
        for cid in doomed:
            self._generation[cid] = self._generation.get(cid, 0) + 1
            chain = self._compiled.pop(cid, None)
            if chain is not None:
                task = asyncio.get_running_loop().create_task(chain.destroy())
                self._cleanup.add(task)
                task.add_done_callback(self._cleanup.discard)

    # -- observability ---------------------------------------------------------------------

    def lag(self, topic: str) -> int:
        """Records of ``topic`` the engine has not finished (0 while it does not consume it)."""
        return sum(runner.lag() for runner in self.runners if runner.settings.name == topic)

    def report(self, topic: str, figures: Callable[[], dict[str, Any]]) -> None:
        """Add ``figures()`` to ``topic``'s queue stats (the node's ingest gate on ``Main``)."""
        self._reports[topic] = figures

    def queue_stats(self) -> list[dict[str, Any]]:
        """Per queue: counters, lag, p99 time in chain, and what :meth:`report` added."""
        stats = []
        for runner in self.runners:
            wire = runner.to_wire()
            figures = self._reports.get(runner.settings.name)
            if figures is not None:
                wire.update(figures())
            stats.append(wire)
        return stats

    async def chain_stats(self, tenant_id: uuid.UUID, chain_id: uuid.UUID) -> list[dict[str, Any]]:
        """Per node of a chain: counters, and why its script is disabled, if it is."""
        chain = await self.compiled(tenant_id, chain_id)
        if chain is None:
            return []
        stats = chain.node_stats()
        for entry in stats:
            entry["scriptDisabledReason"] = self.scripts.disabled.get(
                uuid.UUID(str(entry["ruleNodeId"]))
            )
        return stats
