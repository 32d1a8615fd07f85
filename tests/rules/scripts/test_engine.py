"""The V8 script engine: results, errors, limits, self-disabling and re-enabling on save."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from industryos.rules.errors import ScriptError, ScriptMemory, ScriptTimeout
from industryos.rules.scripts.engine import ScriptEngine, ScriptLimits

TENANT_A = uuid.uuid4()
TENANT_B = uuid.uuid4()


@pytest.fixture
def engine() -> Iterator[ScriptEngine]:
    scripts = ScriptEngine(
        ScriptLimits(timeout_s=0.5, max_memory_bytes=32 * 1024 * 1024, max_errors=3)
    )
    yield scripts
    scripts.close()


async def test_a_transform_gets_parsed_arguments_and_returns_json(engine: ScriptEngine) -> None:
    script = engine.for_node(TENANT_A, uuid.uuid4()).compile(
        "msg.temperature = msg.temperature * 9 / 5 + 32;"
        " return {msg: msg, metadata: {unit: 'F', dev: metadata.deviceName}, msgType: msgType};"
    )
    result = await script.invoke('{"temperature": 100}', {"deviceName": "oven"}, "POST_TELEMETRY")
    assert result == {
        "msg": {"temperature": 212},
        "metadata": {"unit": "F", "dev": "oven"},
        "msgType": "POST_TELEMETRY",
    }


async def test_a_script_that_keeps_failing_is_disabled_with_its_reason(
    engine: ScriptEngine,
) -> None:
    node = uuid.uuid4()
    script = engine.for_node(TENANT_A, node).compile(
        "if (msg.bad) throw new Error('boom'); return true;"
    )
    assert await script.invoke('{"bad": false}', {}, "T") is True
    for _ in range(2):
        with pytest.raises(ScriptError, match="boom"):
            await script.invoke('{"bad": true}', {}, "T")
    assert await script.invoke('{"bad": false}', {}, "T") is True  # a success resets the count
    assert node not in engine.disabled
    for _ in range(3):
        with pytest.raises(ScriptError, match="boom"):
            await script.invoke('{"bad": true}', {}, "T")
    assert engine.disabled[node].startswith("3 consecutive failures, last:")
    assert "boom" in engine.disabled[node]
    with pytest.raises(ScriptError, match="Script is disabled"):
        await script.invoke('{"bad": false}', {}, "T")  # even good input, until saved again
    # saving the chain builds the node again: enabled, with a fresh count
    rebuilt = engine.for_node(TENANT_A, node).compile("return true;")
    assert node not in engine.disabled
    assert await rebuilt.invoke("{}", {}, "T") is True


async def test_runaway_and_memory_bomb_hit_their_limits_and_the_isolate_recovers(
    engine: ScriptEngine,
) -> None:
    scripts = engine.for_node(TENANT_A, uuid.uuid4())
    with pytest.raises(ScriptTimeout):
        await scripts.compile("while (true) {}").invoke("{}", {}, "T")
    with pytest.raises(ScriptMemory):
        await scripts.compile(
            "var a = []; while (true) { a.push(new Array(100000).fill('x')); }"
        ).invoke("{}", {}, "T")
    assert await scripts.compile("return msg.v + 1;").invoke('{"v": 1}', {}, "T") == 2


async def test_tenants_do_not_share_globals(engine: ScriptEngine) -> None:
    writer = engine.for_node(TENANT_A, uuid.uuid4()).compile("globalThis.leak = 'A'; return 1;")
    reader = engine.for_node(TENANT_B, uuid.uuid4()).compile("return typeof globalThis.leak;")
    assert await writer.invoke("{}", {}, "T") == 1
    assert await reader.invoke("{}", {}, "T") == "undefined"


async def test_syntax_errors_and_bad_argument_names_are_script_errors(
    engine: ScriptEngine,
) -> None:
    scripts = engine.for_node(TENANT_A, uuid.uuid4())
    with pytest.raises(ScriptError):
        await scripts.compile("return (;").invoke("{}", {}, "T")
    with pytest.raises(ScriptError, match="invalid script argument name"):
        scripts.compile("return 1;", ("msg", "not valid"))
