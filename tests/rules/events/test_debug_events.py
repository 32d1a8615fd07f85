"""Debug, lifecycle, error and statistics events of rule nodes, over a real queue and database."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from industryos.entities.ids import EntityType, new_id, now_ms
from industryos.entities.paging import PageLink
from industryos.rules.events import Event, EventType, EventWriter
from industryos.rules.events.queries import filter_conditions
from industryos.rules.events.recorder import DebugMode, debug_mode
from industryos.rules.events.schema import rule_event
from industryos.rules.model import ChainMetadata, RuleChain
from tests.rules.conftest import RuleEnv, debugged, node, script_node, wait_for

LINK = PageLink(page_size=100)


async def _node_ids(env: RuleEnv, chain_id: uuid.UUID) -> list[uuid.UUID]:
    meta = await env.chains.get_metadata(env.base.admin, chain_id)
    return [n.id for n in meta.nodes if n.id is not None]


async def _events(
    env: RuleEnv, node_id: uuid.UUID, kind: EventType = EventType.DEBUG_RULE_NODE
) -> list[Event]:
    page = await env.event_queries.page(env.base.admin, EntityType.RULE_NODE, node_id, kind, LINK)
    return page.data


def test_debug_settings_follow_thingsboard() -> None:
    assert debug_mode(True, None) == (DebugMode.ALL, 0)
    assert debug_mode(False, {"allEnabled": True, "allEnabledUntil": 5}) == (DebugMode.ALL, 5)
    assert debug_mode(False, {"failuresEnabled": True, "allEnabledUntil": 0}) == (
        DebugMode.FAILURES,
        0,
    )
    assert debug_mode(False, {"failuresEnabled": False, "allEnabledUntil": 9}) == (
        DebugMode.OFF,
        9,
    )
    assert debug_mode(False, None) == (DebugMode.OFF, 0)


async def test_debug_node_records_in_and_out_with_thingsboard_shape(rules: RuleEnv) -> None:
    chain_id = await rules.install_root(
        [
            debugged(script_node("filter.TbJsFilterNode", "return msg.t > 20;", "hot")),
            node("telemetry.TbMsgTimeseriesNode", "save"),
        ],
        [(0, 1, "True")],
    )
    filter_id, save_id = await _node_ids(rules, chain_id)
    device = uuid.uuid4()
    msg = rules.msg(device, {"t": 25})
    await rules.queue.append("Main", msg)

    async def recorded() -> bool:
        return len(await _events(rules, filter_id)) == 2

    await wait_for(recorded)
    events = await _events(rules, filter_id)
    out, inbound = (e.to_wire() for e in events)  # newest first
    assert inbound["type"] == "DEBUG_RULE_NODE"
    assert inbound["entityId"] == {"entityType": "RULE_NODE", "id": str(filter_id)}
    assert inbound["tenantId"] == {"entityType": "TENANT", "id": str(rules.tenant_id)}
    assert inbound["uid"] == inbound["id"]["id"]
    assert inbound["body"] == {
        "server": "test-node",
        "type": "IN",
        "entityId": str(device),
        "entityType": "DEVICE",
        "msgId": str(msg.id),
        "msgType": "POST_TELEMETRY_REQUEST",
        "dataType": "JSON",
        "relationType": "",  # the first node of a chain run from the queue
        "data": '{"t":25}',
        "metadata": orjson.dumps(msg.metadata).decode(),
    }
    assert out["body"]["type"] == "OUT"
    assert out["body"]["relationType"] == "True"
    assert "error" not in out["body"]
    assert out["createdTime"] >= inbound["createdTime"]
    # a node without debug mode records nothing
    assert await _events(rules, save_id) == []
    # both nodes started
    started = await _events(rules, save_id, EventType.LC_EVENT)
    assert [e.to_wire()["body"] for e in started] == [
        {"server": "test-node", "event": "STARTED", "success": True}
    ]


async def test_failures_only_mode_and_filters(rules: RuleEnv) -> None:
    failing = script_node("transform.TbTransformMsgNode", "return msg.nope.deeper;", "boom")
    failing["debugSettings"] = {"failuresEnabled": True, "allEnabled": False, "allEnabledUntil": 0}
    chain_id = await rules.install_root(
        [failing, node("telemetry.TbMsgTimeseriesNode", "save")], [(0, 1, "Success")]
    )
    (boom_id, _) = await _node_ids(rules, chain_id)
    device = uuid.uuid4()
    await rules.queue.append("Main", rules.msg(device, {"t": 1}))

    async def recorded() -> bool:
        return len(await _events(rules, boom_id)) == 1

    await wait_for(recorded)
    (event,) = (e.to_wire()["body"] for e in await _events(rules, boom_id))
    assert event["type"] == "OUT"
    assert event["relationType"] == "Failure"
    assert "TypeError" in event["error"]
    assert "TypeError" in orjson.loads(event["metadata"])["error"]

    async def matching(body: dict[str, object]) -> int:
        kind, conditions = filter_conditions(body)
        page = await rules.event_queries.page(
            rules.base.admin, EntityType.RULE_NODE, boom_id, kind, LINK, conditions
        )
        return page.total_elements

    assert await matching({"eventType": "DEBUG_RULE_NODE", "isError": True}) == 1
    assert await matching({"eventType": "DEBUG_RULE_NODE", "errorStr": "typeerror"}) == 1
    assert await matching({"eventType": "DEBUG_RULE_NODE", "msgDirectionType": "IN"}) == 0
    assert await matching({"eventType": "DEBUG_RULE_NODE", "entityId": str(device)}) == 1
    assert await matching({"eventType": "DEBUG_RULE_NODE", "dataSearch": '"t":1'}) == 1
    assert await matching({"eventType": "DEBUG_RULE_NODE", "relationType": "Success"}) == 0
    cleared = await rules.event_queries.clear(
        rules.base.admin,
        EntityType.RULE_NODE,
        boom_id,
        {"eventType": "DEBUG_RULE_NODE"},
        None,
        None,
    )
    assert cleared == 1
    assert await _events(rules, boom_id) == []


async def test_saving_the_chain_turns_debug_on_without_restart(rules: RuleEnv) -> None:
    nodes = [script_node("filter.TbJsFilterNode", "return true;", "f")]
    chain_id = await rules.install_root(nodes, [])
    device = uuid.uuid4()
    await rules.queue.append("Main", rules.msg(device, {"n": 1}))
    (filter_id,) = await _node_ids(rules, chain_id)

    async def started() -> bool:
        return len(await _events(rules, filter_id, EventType.LC_EVENT)) == 1

    await wait_for(started)
    meta = (await rules.chains.get_metadata(rules.base.admin, chain_id)).to_wire()
    meta["nodes"][0]["debugMode"] = True
    from industryos.rules.model import ChainMetadata

    await rules.chains.save_metadata(rules.base.admin, ChainMetadata.from_wire(meta))
    await rules.queue.append("Main", rules.msg(device, {"n": 2}))

    async def debugged_now() -> bool:
        return len(await _events(rules, filter_id)) == 2

    await wait_for(debugged_now)
    assert {e.data for e in await _events(rules, filter_id)} == {'{"n":2}'}


async def test_statistics_and_purge(rules: RuleEnv) -> None:
    chain_id = await rules.install_root([node("telemetry.TbMsgTimeseriesNode", "save")], [])
    (save_id,) = await _node_ids(rules, chain_id)
    device = uuid.uuid4()
    await rules.queue.append_many("Main", [rules.msg(device, {"k": i}) for i in range(3)])

    async def processed() -> bool:
        stats = await rules.engine.chain_stats(rules.tenant_id, chain_id)
        return bool(stats[0]["processed"] == 3)

    await wait_for(processed)
    assert rules.events.flush_stats() >= 1
    await rules.events.writer.flush()
    (stats,) = await _events(rules, save_id, EventType.STATS)
    assert stats.to_wire()["body"] == {
        "server": "test-node",
        "messagesProcessed": 3,
        "errorsOccurred": 0,
    }
    assert await rules.events.writer.purge(now=stats.created_time + 1) == 0
    far_future = stats.created_time + int(rules.events.writer.ttl_s * 1000) + 1
    assert await rules.events.writer.purge(now=far_future) >= 2  # STATS + LC_EVENT
    assert await _events(rules, save_id, EventType.STATS) == []


async def test_statistics_count_failures_once_and_survive_a_chain_change(
    rules: RuleEnv,
) -> None:
    """STATS events report the runtime's counters of the node: failures counted once, and
    what a node did before its chain was saved (and the node rebuilt) is not lost."""
    failing = "if (msg.k == 1) { throw new Error('boom'); } return true;"
    chain_id = await rules.install_root([script_node("filter.TbJsFilterNode", failing, "f")], [])
    (filter_id,) = await _node_ids(rules, chain_id)
    device = uuid.uuid4()

    async def processed(count: int) -> None:
        async def done() -> bool:
            stats = await rules.engine.chain_stats(rules.tenant_id, chain_id)
            return bool(stats and stats[0]["processed"] == count)

        await wait_for(done)

    await rules.queue.append_many("Main", [rules.msg(device, {"k": k}) for k in range(3)])
    await processed(3)
    stats = await rules.engine.chain_stats(rules.tenant_id, chain_id)
    assert stats[0]["failed"] == 1
    meta = await rules.chains.get_metadata(rules.base.admin, chain_id)
    await rules.chains.save_metadata(rules.base.admin, meta)  # rebuilds the node
    assert await _node_ids(rules, chain_id) == [filter_id]
    await rules.queue.append_many("Main", [rules.msg(device, {"k": k}) for k in (1, 5)])
    await processed(2)  # the rebuilt node's own counters (the stats endpoint's view)

    assert rules.events.flush_stats() == 1
    assert rules.events.flush_stats() == 0  # nothing new since
    await rules.events.writer.flush()
    (event,) = await _events(rules, filter_id, EventType.STATS)
    assert event.to_wire()["body"] == {
        "server": "test-node",
        "messagesProcessed": 5,
        "errorsOccurred": 2,
    }


async def test_runaway_and_memory_bomb_failures_are_visible_while_others_flow(
    rules: RuleEnv,
) -> None:
    spin = (
        "if (msg.spin) { while (true) {} }"
        " if (msg.bomb) { var a = []; while (true) { a.push(new Array(100000).fill(1)); } }"
        " return true;"
    )
    chain_id = await rules.install_root(
        [
            debugged(script_node("filter.TbJsFilterNode", spin, "spin")),
            node("telemetry.TbMsgTimeseriesNode", "save"),
        ],
        [(0, 1, "True")],
    )
    (spin_id, _) = await _node_ids(rules, chain_id)
    bad, good = uuid.uuid4(), uuid.uuid4()
    await rules.queue.append_many(
        "Main", [rules.msg(bad, {"spin": 1}), rules.msg(bad, {"bomb": 1})]
    )
    await rules.queue.append_many(
        "Main", [rules.msg(good, {"k": i}, ts=1000 + i) for i in range(20)]
    )

    async def good_done() -> bool:
        latest = await rules.base.core.telemetry.get_latest(rules.tenant_id, good)
        return any(e.key == "k" and e.native_value() == 19 for e in latest)

    await wait_for(good_done)

    async def failure_seen() -> bool:
        kind, conditions = filter_conditions(
            {"eventType": "DEBUG_RULE_NODE", "isError": True, "entityId": str(bad)}
        )
        page = await rules.event_queries.page(
            rules.base.admin, EntityType.RULE_NODE, spin_id, kind, LINK, conditions
        )
        return page.total_elements == 2

    await wait_for(failure_seen)
    kind, conditions = filter_conditions({"eventType": "DEBUG_RULE_NODE", "isError": True})
    page = await rules.event_queries.page(
        rules.base.admin, EntityType.RULE_NODE, spin_id, kind, LINK, conditions
    )
    by_body = {orjson.loads(e.data or "{}").get("spin", 0): e for e in page.data}
    assert all(e.relation_type == "Failure" and e.error for e in page.data)
    spun, bombed = by_body[1], by_body[0]
    assert spun.error is not None and "time" in spun.error.lower()
    # on a loaded machine the time limit may stop the bomb before the memory limit does
    assert bombed.error is not None and any(
        limit in bombed.error.lower() for limit in ("memory", "timed out")
    )


def _lifecycle_event(tenant_id: uuid.UUID, node_id: uuid.UUID, kind: str) -> Event:
    return Event(
        id=new_id(),
        created_time=now_ms(),
        tenant_id=tenant_id,
        entity_type="RULE_NODE",
        entity_id=node_id,
        event_type="LC_EVENT",
        kind=kind,
        success=True,
    )


async def test_a_failed_batch_is_retried_and_the_buffer_is_bounded(rules: RuleEnv) -> None:
    writer = EventWriter(rules.base.core.db, ttl_s=60, max_pending=3)
    node_id = uuid.uuid4()

    def event(kind: str) -> Event:
        return _lifecycle_event(rules.tenant_id, node_id, kind)

    first = event("A")
    for item in (first, event("B"), event("C"), event("D")):
        writer.add(item)
    assert writer.dropped == 1  # D: over max_pending
    assert await writer.flush() == 3
    duplicate = replace(first, kind="A again")  # same primary key: the insert fails
    writer.add(event("E"))
    writer.add(duplicate)
    assert await writer.flush() == 0
    assert [e.kind for e in writer._pending] == ["E", "A again"]  # kept for the next attempt
    writer._pending.remove(duplicate)
    assert await writer.flush() == 1
    query = sa.select(rule_event.c.kind).where(rule_event.c.entity_id == node_id)
    async with rules.base.core.db.read() as conn:
        kinds = set((await conn.execute(query)).scalars())
    assert kinds == {"A", "B", "C", "E"}


class _StallingDatabase:
    """The database, except that its first transaction waits until it is cancelled."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.entered = asyncio.Event()

    def transaction(self) -> Any:
        if self.entered.is_set():
            return self._db.transaction()
        self.entered.set()
        return self._stall()

    @contextlib.asynccontextmanager
    async def _stall(self) -> AsyncIterator[None]:
        await asyncio.Event().wait()
        yield


async def test_a_write_cancelled_by_stop_is_made_by_the_last_flush(rules: RuleEnv) -> None:
    """Stop cancels the flush loop, which may be writing then: its batch goes back to the
    buffer, so the flush that stop makes last writes it."""
    db = _StallingDatabase(rules.base.core.db)
    writer = EventWriter(db, ttl_s=60)  # type: ignore[arg-type]
    node_id = uuid.uuid4()
    writer.add(_lifecycle_event(rules.tenant_id, node_id, "last words"))
    writing = asyncio.create_task(writer.flush())
    async with asyncio.timeout(5):
        await db.entered.wait()
    writing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writing
    assert await writer.flush() == 1
    query = sa.select(rule_event.c.kind).where(rule_event.c.entity_id == node_id)
    async with rules.base.core.db.read() as conn:
        assert list((await conn.execute(query)).scalars()) == ["last words"]


async def test_messages_a_node_sends_on_its_own_are_out_events(rules: RuleEnv) -> None:
    generator = debugged(
        node(
            "debug.TbMsgGeneratorNode",
            "gen",
            msgCount=1,
            periodInSeconds=1,
            scriptLang="JS",
            jsScript="return {msg: {v: 1}, metadata: {ts: '1000'},"
            " msgType: 'POST_TELEMETRY_REQUEST'};",
        )
    )
    chain_id = await rules.install_root(
        [generator, node("telemetry.TbMsgTimeseriesNode", "save")], [(0, 1, "Success")]
    )
    (gen_id, _) = await _node_ids(rules, chain_id)
    # the engine builds a chain on its first message; any message will do
    await rules.queue.append("Main", rules.msg(uuid.uuid4(), {"x": 1}))

    async def generated() -> bool:
        return any(e.data == '{"v":1}' for e in await _events(rules, gen_id))

    await wait_for(generated)
    out = next(e for e in await _events(rules, gen_id) if e.data == '{"v":1}')
    assert out.kind == "OUT" and out.relation_type == "Success"
    assert out.msg_type == "POST_TELEMETRY_REQUEST"


async def test_in_events_carry_the_relation_type_they_arrived_on(rules: RuleEnv) -> None:
    nested = await rules.chains.save(rules.base.admin, RuleChain(name="nested"))
    assert nested.id is not None
    await rules.chains.save_metadata(
        rules.base.admin,
        ChainMetadata.from_wire(
            {
                "ruleChainId": {"id": str(nested.id)},
                "firstNodeIndex": 0,
                "nodes": [debugged(node("transform.TbCopyKeysNode", "inner", keys=["x"]))],
                "connections": [],
            }
        ),
    )
    chain_id = await rules.install_root(
        [
            node("filter.TbMsgTypeSwitchNode", "switch"),
            debugged(script_node("filter.TbJsFilterNode", "return msg.t > 20;", "hot")),
            debugged(node("flow.TbRuleChainInputNode", "call", ruleChainId=str(nested.id))),
        ],
        [(0, 1, "Post telemetry"), (1, 2, "True")],
    )
    _, filter_id, call_id = await _node_ids(rules, chain_id)
    (inner_id,) = await _node_ids(rules, nested.id)
    await rules.queue.append("Main", rules.msg(uuid.uuid4(), {"t": 25}))

    async def inbound(node_id: uuid.UUID) -> list[dict[str, object]]:
        bodies = [e.to_wire()["body"] for e in await _events(rules, node_id)]
        return [b for b in bodies if b["type"] == "IN"]

    async def recorded() -> bool:
        return all([await inbound(n) for n in (filter_id, call_id, inner_id)])

    await wait_for(recorded)
    assert [b["relationType"] for b in await inbound(filter_id)] == ["Post telemetry"]
    assert [b["relationType"] for b in await inbound(call_id)] == ["True"]
    # a nested chain's first node sees the label its caller received the message on
    assert [b["relationType"] for b in await inbound(inner_id)] == ["True"]
