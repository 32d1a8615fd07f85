"""``/api/rule-engine``: a REST call answered by a chain's "rest call reply" node."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from industryos.api.routes import rule_chains as chain_routes
from industryos.api.routes import rule_engine as routes
from industryos.queue.bus import Bus, InProcessBus, NatsBus
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.engine import RuleEngine
from industryos.rules.entities import EntityFields
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.nodes.rest_reply import RestApiCalls
from industryos.rules.service import RuleChainService
from tests.api.checks import create_device
from tests.api.conftest import Platform

P = "org.thingsboard.rule.engine."
NATS_URL = "nats://127.0.0.1:4222"


@pytest.fixture
async def engine_api(platform: Platform, tmp_path: Path) -> AsyncIterator[Platform]:
    service = RuleChainService(platform.core.db)
    platform.core.tenants.on_tenant_created(service.on_tenant_created)
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "q"))
    calls = RestApiCalls()
    engine = RuleEngine(
        queue, service, ServiceSet(rest_calls=calls), EntityFields(platform.core.db)
    )
    await engine.start()
    chain_routes.install(platform.app, chain_routes.RuleChainApi(service, engine))
    routes.install(platform.app, routes.RuleEngineCalls(calls, queue, platform.core.lookup))
    yield platform
    await engine.stop()
    await queue.close()


async def _root(admin: httpx.AsyncClient, nodes: list[dict[str, object]]) -> None:
    chain = (await admin.post("/api/ruleChain", json={"name": "rest"})).json()
    meta = {
        "ruleChainId": chain["id"],
        "firstNodeIndex": 0,
        "nodes": nodes,
        "connections": [
            {"fromIndex": i, "toIndex": i + 1, "type": "Success"} for i in range(len(nodes) - 1)
        ],
    }
    assert (await admin.post("/api/ruleChain/metadata", json=meta)).status_code == 200
    assert (await admin.post(f"/api/ruleChain/{chain['id']['id']}/root")).status_code == 200


TRANSFORM: dict[str, object] = {
    "type": P + "transform.TbTransformMsgNode",
    "name": "double",
    "configuration": {
        "scriptLang": "JS",
        "jsScript": "msg.doubled = msg.x * 2; msg.type = msgType;"
        " msg.originator = metadata.requestUUID ? 'ok' : 'no';"
        " return {msg: msg, metadata: metadata, msgType: msgType};",
    },
}
REPLY: dict[str, object] = {
    "type": P + "rest.TbSendRestApiCallReplyNode",
    "name": "reply",
    "configuration": {},
}


async def test_call_is_answered_by_the_chain(engine_api: Platform) -> None:
    a = await engine_api.new_tenant("A")
    b = await engine_api.new_tenant("B")
    await _root(a.admin, [TRANSFORM, REPLY])
    device = await create_device(a.admin, "valve")
    answered = await a.admin.post(f"/api/rule-engine/DEVICE/{device['id']['id']}", json={"x": 21})
    assert answered.status_code == 200, answered.text
    assert answered.json() == {
        "x": 21,
        "doubled": 42,
        "type": "REST_API_REQUEST",
        "originator": "ok",
    }
    as_user = await a.admin.post("/api/rule-engine/", json={"x": 1})
    assert as_user.json()["doubled"] == 2
    on_queue = await a.admin.post(
        f"/api/rule-engine/DEVICE/{device['id']['id']}/Main/5000", json={"x": 2}
    )
    assert on_queue.json()["doubled"] == 4
    foreign = await b.admin.post(f"/api/rule-engine/DEVICE/{device['id']['id']}", json={"x": 1})
    assert foreign.status_code in (403, 404)
    bad = await a.admin.post(f"/api/rule-engine/DEVICE/{device['id']['id']}", content=b"{nope")
    assert bad.status_code == 400
    unknown = await a.admin.post(f"/api/rule-engine/DEVICE/{uuid.uuid4()}", json={})
    assert unknown.status_code == 404


async def test_no_reply_is_408(engine_api: Platform) -> None:
    a = await engine_api.new_tenant("A")
    await _root(a.admin, [TRANSFORM])
    device = await create_device(a.admin, "valve")
    late = await a.admin.post(f"/api/rule-engine/DEVICE/{device['id']['id']}/300", json={"x": 1})
    assert late.status_code == 408
    assert late.content == b""


@pytest.fixture(params=["memory", "nats"])
async def two_nodes(
    request: pytest.FixtureRequest, platform: Platform, tmp_path: Path
) -> AsyncIterator[tuple[Platform, RestApiCalls, RestApiCalls]]:
    """Node A serves the REST call; node B's rule engine runs the chain and replies.

    They share the queue (as cluster nodes share JetStream) and a bus: the in-process one,
    or one connection each to the real NATS server.
    """
    if request.param == "memory":
        shared = InProcessBus()
        bus_a: Bus = shared
        bus_b: Bus = shared
    else:
        bus_a = await NatsBus.connect(NATS_URL, name="node-a")
        bus_b = await NatsBus.connect(NATS_URL, name="node-b")
    calls_a, calls_b = RestApiCalls(bus_a), RestApiCalls(bus_b)
    assert calls_a.service_id != calls_b.service_id
    await calls_a.start()
    await calls_b.start()
    service = RuleChainService(platform.core.db)
    platform.core.tenants.on_tenant_created(service.on_tenant_created)
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "q"))
    engine_b = RuleEngine(
        queue, service, ServiceSet(rest_calls=calls_b), EntityFields(platform.core.db)
    )
    await engine_b.start()
    chain_routes.install(platform.app, chain_routes.RuleChainApi(service, engine_b))
    routes.install(platform.app, routes.RuleEngineCalls(calls_a, queue, platform.core.lookup))
    yield platform, calls_a, calls_b
    await engine_b.stop()
    await queue.close()
    await calls_a.stop()
    await calls_b.stop()
    await bus_a.close()
    await bus_b.close()


async def test_reply_produced_on_another_node_reaches_the_waiting_call(
    two_nodes: tuple[Platform, RestApiCalls, RestApiCalls],
) -> None:
    platform, calls_a, _ = two_nodes
    a = await platform.new_tenant("A")
    await _root(a.admin, [TRANSFORM, REPLY])
    device = await create_device(a.admin, "valve")
    answered = await a.admin.post(f"/api/rule-engine/DEVICE/{device['id']['id']}", json={"x": 5})
    assert answered.status_code == 200, answered.text
    assert answered.json()["doubled"] == 10
    # several calls in flight at once each get their own reply
    many = await asyncio.gather(
        *(
            a.admin.post(f"/api/rule-engine/DEVICE/{device['id']['id']}", json={"x": i})
            for i in range(3)
        )
    )
    assert [r.json()["doubled"] for r in many] == [0, 2, 4]
    # a reply for a call that already ended is dropped without harm
    assert await calls_a.send(calls_a.service_id, "no-such-request", "{}") is False


async def test_remote_reply_after_the_timeout_is_dropped(
    two_nodes: tuple[Platform, RestApiCalls, RestApiCalls],
) -> None:
    _, calls_a, calls_b = two_nodes
    request_id, metadata = calls_a.open(timeout_ms=100)
    assert metadata["serviceId"] == calls_a.service_id
    assert await calls_a.wait(request_id, 0.1) is None  # nobody replied in time
    # B cannot know A gave up: the publish succeeds, A drops it (nothing waits)
    assert await calls_b.send(calls_a.service_id, request_id, '{"late": true}') is True
    fresh, _ = calls_a.open(timeout_ms=5000)
    assert await calls_b.send(calls_a.service_id, fresh, '{"on": "time"}') is True
    assert await calls_a.wait(fresh, 5.0) == '{"on": "time"}'


async def test_without_a_bus_a_reply_for_another_node_fails() -> None:
    lonely = RestApiCalls()
    await lonely.start()
    assert await lonely.send("some-other-node", "r1", "{}") is False
    await lonely.stop()
