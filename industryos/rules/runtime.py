"""A compiled rule chain and how one message walks it.

Compiling turns stored metadata into node instances and a route table
``(node index, label) → [target indices]``. Running a message starts at the first node;
each emitted ``(label, msg)`` goes to every connection with that label, branches running
concurrently. A branch ends when its label has no connection: fine for any label but
``Failure``, which marks the message failed (the queue's strategy decides what then).
Output nodes' labels are collected for the calling chain (nested chains).

Pipelining (:mod:`industryos.queue.ordering`): only a leaf node (no outgoing connection)
on a linear path may signal that the message reached its ordered point; inside any other
node and inside concurrent branches the signal is suspended, so the next message of the
same originator never starts while this one still has effects to come.

A node that cannot be built (bad configuration) does not take the chain down: it becomes
a :class:`BrokenNode` that fails every message with the configuration error.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from industryos.msg import Msg
from industryos.outages import is_outage
from industryos.queue.ordering import suspended
from industryos.rules.errors import NodeFailure, RuleEngineError
from industryos.rules.labels import Label
from industryos.rules.model import ChainMetadata, RuleChain
from industryos.rules.nodes import node_class
from industryos.rules.nodes.base import (
    ARRIVED_ON,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    ServiceSet,
)
from industryos.rules.nodes.flow import RuleChainOutputNode
from industryos.rules.stats import NodeStats

__all__ = [
    "MAX_NODE_EXECUTIONS",
    "BrokenNode",
    "ChainRun",
    "CompiledChain",
    "EmitLater",
    "compile_chain",
]

MAX_NODE_EXECUTIONS = 1000
"""A message that has run through more nodes than this in one chain fails (ThingsBoard's
tenant-profile ``maxRuleNodeExecsPerMessage`` default): a chain whose connections form a
cycle must end, and must not hold the event loop meanwhile."""

EmitLater = Callable[[uuid.UUID, uuid.UUID, Sequence[Emit]], Awaitable[None]]
"""(chain id, node id, emits) → run the node's successors outside any queued message."""

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ChainRun:
    """What one message's walk through a chain produced."""

    error: str | None = None
    """Set when some branch ended on an unconnected ``Failure``."""
    acked: bool = False
    """An acknowledge node was passed: no retry whatever happens next."""
    outage: bool = False
    """A node failed because a dependency (database, disk) was unavailable."""
    outputs: list[Emit] = field(default_factory=list)
    """Messages that reached output nodes (for the calling chain)."""
    visits: int = 0
    """Nodes this message has run through in this chain (see ``MAX_NODE_EXECUTIONS``)."""


class BrokenNode(RuleNode):
    """Stands in for a node whose configuration could not be used."""

    clazz = "industryos.BrokenNode"

    def __init__(self, reason: str, ctx: NodeContext) -> None:
        self.ctx = ctx
        self.reason = reason

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Always the configuration error."""
        raise NodeFailure(self.reason)


@dataclass(slots=True)
class _Slot:
    id: uuid.UUID
    name: str
    node: RuleNode
    stats: NodeStats
    is_output: bool
    is_leaf: bool = False


class CompiledChain:
    """A runnable chain: node instances, their counters and the route table."""

    def __init__(
        self,
        chain: RuleChain,
        slots: list[_Slot],
        routes: dict[tuple[int, str], list[int]],
        first: int | None,
    ) -> None:
        assert chain.id is not None and chain.tenant_id is not None
        self.id = chain.id
        self.tenant_id = chain.tenant_id
        self.name = chain.name
        self._slots = slots
        self._routes = routes
        self._first = first
        self._index = {slot.id: i for i, slot in enumerate(slots)}
        sources = {index for index, _ in routes}
        for i, slot in enumerate(slots):
            slot.is_leaf = i not in sources and not slot.is_output

    async def run(self, msg: Msg, run: ChainRun, arrived_on: str = "") -> None:
        """Walk ``msg`` from the first node, which sees it arrive on ``arrived_on``."""
        if self._first is not None:
            await self._visit(self._first, msg, run, arrived_on)

    async def resume_after(self, node_id: uuid.UUID, msg: Msg, run: ChainRun) -> None:
        """Continue with the ``Success`` successors of ``node_id`` (checkpoint)."""
        index = self._index.get(node_id)
        if index is None:
            run.error = f"checkpoint node {node_id} is no longer in chain {self.id}"
            return
        await self._forward(index, [Emit(Label.SUCCESS, msg)], run)

    async def emit_from(self, node_id: uuid.UUID, emits: Sequence[Emit]) -> None:
        """Messages a node produced on its own (timers): run its successors."""
        run = ChainRun()
        await self._forward(self._index[node_id], emits, run)
        if run.error is not None:
            log.debug("timer message of node %s failed: %s", node_id, run.error)

    async def _visit(self, index: int, msg: Msg, run: ChainRun, arrived_on: str) -> None:
        """Run node ``index``, then its successors: a single hop continues in this loop
        (no coroutine per node on a linear path), branches run concurrently."""
        while True:
            run.visits += 1
            if run.visits > MAX_NODE_EXECUTIONS:
                run.error = f"Message is processed by more then {MAX_NODE_EXECUTIONS} rule nodes!"
                return
            slot = self._slots[index]
            started = time.perf_counter()
            failed = False
            arrival = ARRIVED_ON.set(arrived_on)
            try:
                if slot.is_leaf:
                    emits = await slot.node.on_msg(msg)
                else:
                    with suspended():
                        emits = await slot.node.on_msg(msg)
            except NodeFailure as exc:
                failed = True
                emits = [Emit(Label.FAILURE, _with_error(exc.msg or msg, str(exc)))]
            except RuleEngineError as exc:
                failed = True
                emits = [Emit(Label.FAILURE, _with_error(msg, str(exc)))]
            except Exception as exc:  # a storage outage or a bug
                log.error("rule node %s (%s) raised", slot.name, slot.node.clazz, exc_info=True)
                if is_outage(exc):
                    run.outage = True
                failed = True
                emits = [Emit(Label.FAILURE, _with_error(msg, f"{type(exc).__name__}: {exc}"))]
            finally:
                ARRIVED_ON.reset(arrival)
            slot.stats.record(time.perf_counter() - started, failed)
            if slot.node.acknowledges:
                run.acked = True
            if slot.is_output:
                run.outputs.extend(emits)
                return
            hops = self._hops(index, emits, run)
            if len(hops) != 1:
                if hops:  # (most messages end at a leaf: no coroutine for nothing)
                    await self._branch(hops, run)
                return
            index, arrived_on, msg = hops[0]

    async def _forward(self, index: int, emits: Sequence[Emit], run: ChainRun) -> None:
        hops = self._hops(index, emits, run)
        if len(hops) == 1:
            await self._visit(hops[0][0], hops[0][2], run, hops[0][1])
        else:
            await self._branch(hops, run)

    def _hops(self, index: int, emits: Sequence[Emit], run: ChainRun) -> list[tuple[int, str, Msg]]:
        """(target, label, message) of every connection the emits take; an unconnected
        ``Failure`` marks the run failed."""
        hops: list[tuple[int, str, Msg]] = []
        for emit in emits:
            targets = self._routes.get((index, emit.label))
            if not targets:
                if emit.label == Label.FAILURE and run.error is None:
                    run.error = emit.msg.metadata.get("error", "Failure")
                continue
            hops.extend((target, emit.label, emit.msg) for target in targets)
        return hops

    async def _branch(self, hops: list[tuple[int, str, Msg]], run: ChainRun) -> None:
        """Concurrent branches: none of them may signal the ordered point."""
        if hops:
            with suspended():
                await asyncio.gather(
                    *(self._visit(target, msg, run, label) for target, label, msg in hops)
                )

    def node_stats(self) -> list[dict[str, object]]:
        """Per node: id, name, class and counters."""
        return [
            {
                "ruleNodeId": str(slot.id),
                "name": slot.name,
                "type": slot.node.clazz,
                **slot.stats.to_wire(),
            }
            for slot in self._slots
        ]

    async def destroy(self) -> None:
        """Destroy every node (timers, connections)."""
        for slot in self._slots:
            try:
                await slot.node.destroy()
            except Exception:
                log.error("destroying rule node %s failed", slot.id, exc_info=True)


def _with_error(msg: Msg, error: str) -> Msg:
    return msg.with_changes(metadata={**msg.metadata, "error": error})


def compile_chain(
    chain: RuleChain,
    meta: ChainMetadata,
    services: ServiceSet,
    emit_later: EmitLater,
) -> CompiledChain:
    """Build node instances and the route table of a stored chain."""
    assert chain.id is not None and chain.tenant_id is not None
    chain_id = chain.id
    slots: list[_Slot] = []
    for node_def in meta.nodes:
        assert node_def.id is not None
        node_id = node_def.id
        cls = node_class(node_def.type)

        async def later(emits: Sequence[Emit], node_id: uuid.UUID = node_id) -> None:
            await emit_later(chain_id, node_id, emits)

        ctx = NodeContext(
            node_id, node_def.name, chain.tenant_id, chain.id, cls.requires, services, later
        )
        try:
            configuration = cls.upgrade(
                node_def.configuration_version, dict(node_def.configuration)
            )
            node: RuleNode = cls(NodeConfig(cls.clazz, configuration), ctx)
        except RuleEngineError as exc:
            log.warning("rule node %s (%s) cannot be built: %s", node_def.name, node_def.type, exc)
            node = BrokenNode(str(exc), ctx)
        slots.append(
            _Slot(node_id, node_def.name, node, ctx.stats, isinstance(node, RuleChainOutputNode))
        )
    routes: dict[tuple[int, str], list[int]] = {}
    for conn in meta.connections:
        routes.setdefault((conn.from_index, conn.type), []).append(conn.to_index)
    return CompiledChain(chain, slots, routes, meta.first_node_index)
