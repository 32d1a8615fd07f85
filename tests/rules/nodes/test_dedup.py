"""Deduplication node: FIRST, LAST and ALL per originator and interval, pending limit."""

from __future__ import annotations

import asyncio
import uuid

import orjson
import pytest

from industryos.rules.errors import NodeConfigError
from industryos.rules.nodes.base import Emit
from industryos.rules.nodes.dedup import MsgDeduplicationNode
from tests.rules.nodes.pure import build, msg


async def _run(strategy: str, **config: object) -> tuple[list[Emit], list[object]]:
    later: list[Emit] = []
    node = build(MsgDeduplicationNode, later, interval=0.2, strategy=strategy, **config)
    a, b = uuid.uuid4(), uuid.uuid4()
    sent = [msg({"n": i}, a, ts=str(i)) for i in range(3)] + [msg({"n": 9}, b)]
    for m in sent:
        assert await node.on_msg(m) == []  # nothing goes on at once
    for _ in range(100):
        if len(later) == 2:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)
    await node.destroy()
    return later, [m.id for m in sent]


async def test_first_and_last_keep_one_message_per_originator() -> None:
    later, ids = await _run("FIRST")
    assert len(later) == 2
    assert sorted(orjson.loads(e.msg.data)["n"] for e in later) == [0, 9]
    assert all(e.label == "Success" and e.msg.id not in ids for e in later)
    later, _ = await _run("LAST")
    assert sorted(orjson.loads(e.msg.data)["n"] for e in later) == [2, 9]


async def test_all_merges_into_one_message_of_out_type() -> None:
    later, _ = await _run("ALL", outMsgType="POST_ATTRIBUTES_REQUEST", maxPendingMsgs=2)
    merged = next(e.msg for e in later if len(orjson.loads(e.msg.data)) == 2)
    assert merged.type == "POST_ATTRIBUTES_REQUEST"
    assert orjson.loads(merged.data) == [
        {"msg": {"n": 0}, "metadata": {"ts": "0"}},
        {"msg": {"n": 1}, "metadata": {"ts": "1"}},
    ]  # the third was over maxPendingMsgs
    assert set(merged.metadata) == {"ts"}


def test_bad_configuration_is_refused() -> None:
    with pytest.raises(NodeConfigError):
        build(MsgDeduplicationNode, interval=0)
    with pytest.raises(NodeConfigError):
        build(MsgDeduplicationNode, interval=10, strategy="MIDDLE")
