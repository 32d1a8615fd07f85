"""Flow nodes: nested rule chains and their outputs, acknowledge, checkpoint."""

from __future__ import annotations

import uuid

from industryos.msg import Msg
from industryos.rules.errors import NodeConfigError
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
    Service,
)

PREFIX = "org.thingsboard.rule.engine."

RESUME_KEY = "__industryos_resume"
"""Metadata key a checkpoint puts on the re-queued message: ``<chain id>:<node id>``; the
engine strips it and continues after that node (Msg has no routing fields of its own)."""


class RuleChainInputNode(RuleNode):
    """Run another chain; its output nodes' names are this node's labels."""

    clazz = PREFIX + "flow.TbRuleChainInputNode"
    requires = frozenset({Service.CHAINS})
    descriptor = Descriptor(
        ComponentType.FLOW,
        "rule chain",
        "Transfers the message to another rule chain",
        relation_types=(Label.SUCCESS, Label.FAILURE),
        custom_relations=True,
        default_configuration={"ruleChainId": None, "forwardMsgToDefaultRuleChain": False},
        configuration_version=1,
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._chains = ctx.chains()
        raw = config.raw.get("ruleChainId")
        if isinstance(raw, dict):
            raw = raw.get("id")
        try:
            self._chain_id = uuid.UUID(str(raw))
        except ValueError:
            raise NodeConfigError(f"{self.clazz}: ruleChainId must be a rule chain id") from None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Whatever the nested chain returns through its output nodes."""
        return await self._chains.run(self.ctx.tenant_id, self._chain_id, msg)


class RuleChainOutputNode(RuleNode):
    """Return the message to the calling chain under this node's name."""

    clazz = PREFIX + "flow.TbRuleChainOutputNode"
    descriptor = Descriptor(
        ComponentType.FLOW,
        "output",
        "Transfers the message to the caller rule chain",
        relation_types=(),
        out_enabled=False,
        default_configuration={"version": 0},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self.label = ctx.node_name or Label.SUCCESS

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """The label is the node's name."""
        return [Emit(self.label, msg)]


class AckNode(RuleNode):
    """Acknowledge the message now: later failures no longer make the queue retry it."""

    clazz = PREFIX + "flow.TbAckNode"
    acknowledges = True
    descriptor = Descriptor(
        ComponentType.FLOW,
        "acknowledge",
        "Acknowledges the incoming message",
        relation_types=(Label.SUCCESS,),
        default_configuration={},
    )

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Pass on."""
        return [Emit(Label.SUCCESS, msg)]


class CheckpointNode(RuleNode):
    """Re-queue the message to ``queueName``; processing continues there, after this node."""

    clazz = PREFIX + "flow.TbCheckpointNode"
    requires = frozenset({Service.QUEUE})
    descriptor = Descriptor(
        ComponentType.FLOW,
        "checkpoint",
        "Transfers the message to another queue",
        relation_types=(Label.SUCCESS, Label.FAILURE),
        default_configuration={"queueName": "HighPriority"},
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        self._queue = ctx.queue()
        self._topic = config.text("queueName", "HighPriority") or "HighPriority"

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Durably queued, then this copy is done (nothing emitted here)."""
        marker = f"{self.ctx.chain_id}:{self.ctx.node_id}"
        await self._queue.append(
            self._topic, msg.with_changes(metadata={**msg.metadata, RESUME_KEY: marker})
        )
        return []


NODES: tuple[type[RuleNode], ...] = (
    RuleChainInputNode,
    RuleChainOutputNode,
    AckNode,
    CheckpointNode,
)
