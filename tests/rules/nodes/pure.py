"""Nodes that need no service: built with an empty service set."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.rules.nodes.base import Emit, NodeConfig, NodeContext, RuleNode, ServiceSet

TENANT = uuid.uuid4()


def build(cls: type[RuleNode], later: list[Emit] | None = None, **config: Any) -> RuleNode:
    """A node of ``cls``; what it emits on its own goes to ``later``."""

    async def emit_later(emits: Sequence[Emit]) -> None:
        assert later is not None, "this node was not expected to emit on its own"
        later.extend(emits)

    ctx = NodeContext(
        uuid.uuid4(), "n", TENANT, uuid.uuid4(), cls.requires, ServiceSet(), emit_later
    )
    return cls(NodeConfig(cls.clazz, config), ctx)


def msg(
    data: Any,
    originator: uuid.UUID | None = None,
    msg_type: str = MsgType.POST_TELEMETRY_REQUEST,
    **metadata: str,
) -> Msg:
    """A device message."""
    return Msg(
        type=msg_type,
        originator=EntityRef(EntityType.DEVICE, originator or uuid.uuid4()),
        tenant_id=TENANT,
        data=orjson.dumps(data).decode(),
        metadata=metadata,
    )
