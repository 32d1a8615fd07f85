"""The engine end to end over a real queue and database: routing, scripts, limits, order."""

from __future__ import annotations

import uuid

from industryos.msg import MsgType
from industryos.rules.runtime import MAX_NODE_EXECUTIONS
from industryos.telemetry.kv import AttributeScope
from tests.rules.conftest import RuleEnv, node, script_node, wait_for


async def _latest(env: RuleEnv, device: uuid.UUID) -> dict[str, object]:
    entries = await env.base.core.telemetry.get_latest(env.tenant_id, device)
    return {e.key: e.native_value() for e in entries}


async def test_default_root_chain_stores_telemetry_and_client_attributes(rules: RuleEnv) -> None:
    device = uuid.uuid4()
    await rules.queue.append_many(
        "Main",
        [
            rules.msg(device, {"t": 21.5}, ts=1000),
            rules.msg(device, {"fw": "1.0"}, MsgType.POST_ATTRIBUTES_REQUEST),
            rules.msg(device, {"method": "x", "params": {}}, MsgType.TO_SERVER_RPC_REQUEST),
        ],
    )

    async def stored() -> bool:
        attrs = await rules.base.core.telemetry.get_attributes(
            rules.tenant_id, device, AttributeScope.CLIENT_SCOPE
        )
        return (await _latest(rules, device)) == {"t": 21.5} and bool(
            attrs.get(AttributeScope.CLIENT_SCOPE)
        )

    await wait_for(stored)
    root = await rules.chains.root_id(rules.tenant_id)
    assert root is not None

    async def counted() -> bool:
        stats = {s["name"]: s for s in await rules.engine.chain_stats(rules.tenant_id, root)}
        return bool(stats["Log RPC from Device"]["processed"] == 1)

    await wait_for(counted)
    stats = {s["name"]: s for s in await rules.engine.chain_stats(rules.tenant_id, root)}
    assert stats["Save Timeseries"]["processed"] == 1
    assert stats["Message Type Switch"]["processed"] == 3


async def test_filter_with_non_boolean_result_goes_to_failure(rules: RuleEnv) -> None:
    await rules.install_root(
        [
            script_node("filter.TbJsFilterNode", "return msg.t;"),
            node("telemetry.TbMsgTimeseriesNode", "ok"),
            node(
                "transform.TbTransformMsgNode",
                "failed",
                scriptLang="JS",
                jsScript="return {msg: {error: metadata.error}, metadata: metadata};",
            ),
            node("telemetry.TbMsgTimeseriesNode", "save error"),
        ],
        [(0, 1, "True"), (0, 2, "Failure"), (2, 3, "Success")],
    )
    device = uuid.uuid4()
    await rules.queue.append("Main", rules.msg(device, {"t": 5}))

    async def failed() -> bool:
        return "error" in await _latest(rules, device)

    await wait_for(failed)
    latest = await _latest(rules, device)
    assert "t" not in latest
    assert "Wrong result type: number" in str(latest["error"])


async def test_transform_array_fans_out_and_switch_routes_to_each_label(rules: RuleEnv) -> None:
    fan_out = (
        "return [{msg: {a: msg.v}, metadata: {ts: '1000'}, msgType: msgType},"
        " {msg: {b: msg.v}, metadata: {ts: '2000'}, msgType: msgType},"
        " {msg: {c: msg.v}, metadata: {ts: '3000'}, msgType: msgType}];"
    )
    await rules.install_root(
        [
            script_node("transform.TbTransformMsgNode", fan_out),
            script_node(
                "filter.TbJsSwitchNode", "return msg.a !== undefined ? ['x', 'y'] : ['z'];"
            ),
            node("transform.TbRenameKeysNode", "x", renameIn="DATA", renameKeysMapping={"a": "ax"}),
            node("transform.TbRenameKeysNode", "y", renameIn="DATA", renameKeysMapping={"a": "ay"}),
            node("telemetry.TbMsgTimeseriesNode", "save"),
        ],
        [
            (0, 1, "Success"),
            (1, 2, "x"),
            (1, 3, "y"),
            (1, 4, "z"),
            (2, 4, "Success"),
            (3, 4, "Success"),
        ],
    )
    device = uuid.uuid4()
    await rules.queue.append("Main", rules.msg(device, {"v": 7}))

    async def stored() -> bool:
        return set(await _latest(rules, device)) == {"ax", "ay", "b", "c"}

    await wait_for(stored)
    history = await rules.base.core.telemetry.get_latest(rules.tenant_id, device)
    assert {e.key: e.ts for e in history} == {"ax": 1000, "ay": 1000, "b": 2000, "c": 3000}


async def test_runaway_and_memory_bomb_are_stopped_while_others_flow(rules: RuleEnv) -> None:
    script = (
        "if (msg.spin) { while (true) {} }"
        " if (msg.bomb) { var a = []; while (true) { a.push(new Array(100000).fill(1)); } }"
        " return true;"
    )
    await rules.install_root(
        [
            node("filter.TbOriginatorTypeFilterNode", "any", originatorTypes=["DEVICE"]),
            script_node("filter.TbJsFilterNode", script),
            node("telemetry.TbMsgTimeseriesNode", "save"),
        ],
        [(0, 1, "True"), (0, 2, "True"), (1, 2, "Failure")],
    )
    bad, good = uuid.uuid4(), uuid.uuid4()
    await rules.queue.append_many(
        "Main",
        [rules.msg(bad, {"spin": 1, "n": i}, ts=1000 + i) for i in range(3)]
        + [rules.msg(bad, {"bomb": 1, "m": 1}, ts=2000)],
    )
    await rules.queue.append_many(
        "Main", [rules.msg(good, {"k": i}, ts=1000 + i) for i in range(50)]
    )

    async def good_done() -> bool:
        return (await _latest(rules, good)).get("k") == 49

    await wait_for(good_done)

    async def bad_done() -> bool:
        return (await _latest(rules, bad)).get("m") == 1

    await wait_for(bad_done)
    root = await rules.chains.root_id(rules.tenant_id)
    assert root is not None
    stats = {s["name"]: s for s in await rules.engine.chain_stats(rules.tenant_id, root)}
    assert stats["s"]["failed"] == 4  # three timeouts, one memory limit
    # the isolate was rebuilt after the memory bomb and still runs scripts
    await rules.queue.append("Main", rules.msg(bad, {"after": 1}, ts=3000))

    async def after() -> bool:
        return (await _latest(rules, bad)).get("after") == 1

    await wait_for(after)


async def test_per_originator_order_is_kept_under_concurrency(rules: RuleEnv) -> None:
    # a delay that varies per message would reorder messages if one originator's ran concurrently
    await rules.install_root(
        [
            node(
                "delay.TbMsgDelayNode",
                "wait",
                useMetadataPeriodInSecondsPatterns=True,
                periodInSecondsPattern="${wait}",
                maxPendingMsgs=10000,
            ),
            script_node(
                "transform.TbTransformMsgNode",
                "return {msg: {seq: msg.seq}, metadata: metadata, msgType: msgType};",
            ),
            node("telemetry.TbMsgAttributesNode", "save", scope="SERVER_SCOPE"),
        ],
        [(0, 1, "Success"), (1, 2, "Success")],
    )
    devices = [uuid.uuid4() for _ in range(20)]
    msgs = []
    for seq in range(10):
        for i, device in enumerate(devices):
            m = rules.msg(device, {"seq": seq}, MsgType.POST_ATTRIBUTES_REQUEST)
            wait = 0.02 if (seq + i) % 2 == 0 else 0.0
            msgs.append(m.with_changes(metadata={**m.metadata, "wait": str(wait)}))
    await rules.queue.append_many("Main", msgs)
    seen: dict[uuid.UUID, list[int]] = {d: [] for d in devices}

    def listener(event: object) -> None:
        entity = getattr(event, "entity_id", None)
        for entry in getattr(event, "entries", ()):
            if entity in seen and entry.key == "seq":
                seen[entity].append(int(entry.value))

    unsubscribe = rules.base.core.telemetry.subscribe(listener)
    try:

        async def all_seen() -> bool:
            return all(len(v) == 10 for v in seen.values())

        await wait_for(all_seen)
    finally:
        unsubscribe()
    assert all(v == list(range(10)) for v in seen.values()), seen


async def test_chain_change_applies_to_new_messages(rules: RuleEnv) -> None:
    device = uuid.uuid4()
    await rules.install_root([node("telemetry.TbMsgTimeseriesNode", "save")], [])
    await rules.queue.append("Main", rules.msg(device, {"a": 1}))
    await wait_for(lambda: _has(rules, device, "a"))
    await rules.install_root(
        [
            node("transform.TbRenameKeysNode", "r", renameKeysMapping={"b": "renamed"}),
            node("telemetry.TbMsgTimeseriesNode", "save"),
        ],
        [(0, 1, "Success")],
    )
    await rules.queue.append("Main", rules.msg(device, {"b": 2}))
    await wait_for(lambda: _has(rules, device, "renamed"))
    assert "b" not in await _latest(rules, device)


async def _has(env: RuleEnv, device: uuid.UUID, key: str) -> bool:
    return key in await _latest(env, device)


async def test_high_priority_retries_failures(rules: RuleEnv) -> None:
    await rules.install_root([node("telemetry.TbMsgTimeseriesNode", "save")], [])
    device = uuid.uuid4()
    # an attribute message on the save-timeseries node fails (unconnected Failure) every time
    await rules.queue.append(
        "HighPriority", rules.msg(device, {"x": 1}, MsgType.POST_ATTRIBUTES_REQUEST)
    )
    runner = next(r for r in rules.engine.runners if r.settings.name == "HighPriority")

    async def gave_up() -> bool:
        return runner.stats.failed == 1

    await wait_for(gave_up)
    assert runner.stats.retried == 3

    async def acked() -> bool:
        return runner.lag() == 0

    await wait_for(acked)


async def test_a_cycle_in_a_chain_fails_the_message_and_the_engine_goes_on(
    rules: RuleEnv,
) -> None:
    """Two nodes connected to each other: the message fails after MAX_NODE_EXECUTIONS nodes
    with ThingsBoard's error, instead of looping forever (or holding the event loop), and
    the next message is processed."""
    rename = {"renameIn": "DATA", "renameKeysMapping": {"absent": "other"}}
    await rules.install_root(
        [
            node("filter.TbMsgTypeSwitchNode", "switch"),
            node("transform.TbRenameKeysNode", "a", **rename),
            node("transform.TbRenameKeysNode", "b", **rename),
            node("telemetry.TbMsgTimeseriesNode", "save"),
        ],
        [(0, 1, "Post attributes"), (1, 2, "Success"), (2, 1, "Success"), (0, 3, "Post telemetry")],
    )
    device = uuid.uuid4()
    await rules.queue.append_many(
        "Main",
        [
            rules.msg(device, {"x": 1}, MsgType.POST_ATTRIBUTES_REQUEST),
            rules.msg(device, {"t": 1}, ts=1000),
        ],
    )
    runner = next(r for r in rules.engine.runners if r.settings.name == "Main")

    async def done() -> bool:
        return runner.lag() == 0 and await _has(rules, device, "t")

    await wait_for(done)
    assert runner.stats.failed == 1
    attempts = 1 + runner.stats.retried
    root = await rules.chains.root_id(rules.tenant_id)
    assert root is not None
    stats = {s["name"]: s for s in await rules.engine.chain_stats(rules.tenant_id, root)}
    assert stats["a"]["processed"] + stats["b"]["processed"] == attempts * (MAX_NODE_EXECUTIONS - 1)
