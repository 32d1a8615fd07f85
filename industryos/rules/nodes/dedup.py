"""Deduplication node (``deduplication.TbMsgDeduplicationNode``).

Messages are grouped per originator for ``interval`` seconds from the first one of a group;
when the interval ends one message goes on: the FIRST or the LAST of the group (a copy with
a new id), or for ALL a message of ``outMsgType`` whose body is the JSON array of every
message as ``{"msg": <body>, "metadata": {...}}`` and whose metadata holds ``ts``. Incoming
messages end their branch here (acknowledged); at most ``maxPendingMsgs`` wait per
originator, later ones are dropped. Design limit, as in ThingsBoard's in-memory mode: the
waiting groups live in memory, so a crash before the interval ends loses that output.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from industryos.entities.ids import new_id, now_ms
from industryos.msg import EntityRef, Msg
from industryos.rules.errors import NodeConfigError
from industryos.rules.labels import Label
from industryos.rules.nodes.base import (
    ComponentType,
    Descriptor,
    Emit,
    NodeConfig,
    NodeContext,
    RuleNode,
)
from industryos.rules.nodes.templates import body_of, json_text

PREFIX = "org.thingsboard.rule.engine."
STRATEGIES = ("FIRST", "LAST", "ALL")

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Group:
    deadline: float
    msgs: list[Msg] = field(default_factory=list)


class MsgDeduplicationNode(RuleNode):
    """One message per originator and interval."""

    clazz = PREFIX + "deduplication.TbMsgDeduplicationNode"
    descriptor = Descriptor(
        ComponentType.TRANSFORMATION,
        "deduplication",
        "Deduplicate messages within the same originator entity for a configurable period",
        default_configuration={
            "interval": 60,
            "strategy": "FIRST",
            "outMsgType": None,
            "queueName": None,
            "maxPendingMsgs": 100,
            "maxRetries": 3,
        },
    )

    def __init__(self, config: NodeConfig, ctx: NodeContext) -> None:
        super().__init__(config, ctx)
        interval = config.raw.get("interval", 60)
        if isinstance(interval, bool) or not isinstance(interval, int | float) or interval <= 0:
            raise NodeConfigError(f"{self.clazz}: interval must be a positive number of seconds")
        self._interval_s = float(interval)
        self._strategy = config.choice("strategy", STRATEGIES, "FIRST")
        self._out_type = config.text("outMsgType") or "POST_TELEMETRY_REQUEST"
        self._max_pending = max(1, config.integer("maxPendingMsgs", 100))
        self._groups: dict[EntityRef, _Group] = {}
        self._timer: asyncio.Task[None] | None = None

    async def on_msg(self, msg: Msg) -> list[Emit]:
        """Keep the message for its originator's group; nothing goes on now."""
        group = self._groups.get(msg.originator)
        if group is None:
            group = self._groups[msg.originator] = _Group(time.monotonic() + self._interval_s)
        if len(group.msgs) < self._max_pending:
            group.msgs.append(msg)
        if self._timer is None or self._timer.done():
            self._timer = asyncio.get_running_loop().create_task(self._flush_loop())
        return []

    async def _flush_loop(self) -> None:
        while self._groups:
            now = time.monotonic()
            due = [ref for ref, g in self._groups.items() if g.deadline <= now]
            for ref in due:
                msgs = self._groups.pop(ref).msgs
                try:
                    await self.ctx.emit_later([Emit(Label.SUCCESS, self._merge(msgs))])
                except Exception:
                    log.error(
                        "deduplication node %s: output failed", self.ctx.node_id, exc_info=True
                    )
            if self._groups:
                next_due = min(g.deadline for g in self._groups.values())
                await asyncio.sleep(max(0.0, next_due - time.monotonic()))

    def _merge(self, msgs: list[Msg]) -> Msg:
        if self._strategy == "FIRST":
            return msgs[0].with_changes(id=new_id(), ts=now_ms())
        if self._strategy == "LAST":
            return msgs[-1].with_changes(id=new_id(), ts=now_ms())
        merged: list[dict[str, Any]] = [
            {"msg": body_of(m), "metadata": dict(m.metadata)} for m in msgs
        ]
        last = msgs[-1]
        return last.with_changes(
            id=new_id(),
            ts=now_ms(),
            type=self._out_type,
            data=json_text(merged),
            metadata={"ts": str(now_ms())},
        )

    async def destroy(self) -> None:
        """Stop waiting; groups still open are dropped."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        self._groups.clear()


NODES: tuple[type[RuleNode], ...] = (MsgDeduplicationNode,)
