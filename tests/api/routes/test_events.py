"""Events REST (spec §3.10): paths, ``EventInfo`` shape, filters, clear, tenant isolation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tb_rest_client.models import EntityId, RuleNodeDebugEventFilter, TenantId
from tb_rest_client.rest_client import RestClient

from industryos.api.routes import events as event_routes
from industryos.api.routes import rule_chains as chain_routes
from industryos.api.server import HttpServer
from industryos.entities.ids import EntityType, new_id, now_ms
from industryos.entities.models import Authority, User
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.engine import RuleEngine
from industryos.rules.entities import EntityFields
from industryos.rules.events import Event, EventQueries, EventType, EventWriter
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.service import RuleChainService
from tests.api.conftest import Platform, TenantAccounts

P = "org.thingsboard.rule.engine."
PAGE = {"pageSize": 10, "page": 0}


@pytest.fixture
async def platform_events(platform: Platform, tmp_path: Path) -> AsyncIterator[Platform]:
    service = RuleChainService(platform.core.db)
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "q"))
    engine = RuleEngine(queue, service, ServiceSet(), EntityFields(platform.core.db))
    chain_routes.install(platform.app, chain_routes.RuleChainApi(service, engine))
    event_routes.install(platform.app, EventQueries(platform.core.db, platform.core.lookup))
    yield platform
    await engine.stop()
    await queue.close()


async def _node(tenant: TenantAccounts) -> str:
    chain = (await tenant.admin.post("/api/ruleChain", json={"name": "debugged"})).json()
    meta = {
        "ruleChainId": chain["id"],
        "firstNodeIndex": 0,
        "nodes": [{"type": P + "action.TbLogNode", "name": "log", "debugMode": True}],
        "connections": [],
    }
    saved = await tenant.admin.post("/api/ruleChain/metadata", json=meta)
    assert saved.status_code == 200, saved.text
    node_id: str = saved.json()["nodes"][0]["id"]["id"]
    return node_id


async def _store(platform: Platform, tenant_id: str, node_id: str) -> None:
    writer = EventWriter(platform.core.db, ttl_s=60)
    now = now_ms()
    base = {
        "tenant_id": uuid.UUID(tenant_id),
        "entity_type": EntityType.RULE_NODE.value,
        "entity_id": uuid.UUID(node_id),
        "server": "n1",
    }
    originator = uuid.uuid4()
    for i, direction in enumerate(("IN", "OUT")):
        writer.add(
            Event(
                id=new_id(),
                created_time=now + i,
                event_type=EventType.DEBUG_RULE_NODE.value,
                kind=direction,
                msg_id=uuid.uuid4(),
                msg_type="POST_TELEMETRY_REQUEST",
                data_type="JSON",
                relation_type="Success" if direction == "OUT" else None,
                originator_type="DEVICE",
                originator_id=originator,
                data='{"temperature":21}',
                metadata='{"deviceName":"d1"}',
                **base,  # type: ignore[arg-type]
            )
        )
    writer.add(
        Event(
            id=new_id(),
            created_time=now,
            event_type=EventType.LC_EVENT.value,
            kind="STARTED",
            success=True,
            **base,  # type: ignore[arg-type]
        )
    )
    assert await writer.flush() == 3


async def test_events_by_type_filter_and_clear(platform_events: Platform) -> None:
    a = await platform_events.new_tenant("A")
    node_id = await _node(a)
    await _store(platform_events, a.tenant_id, node_id)
    base = f"/api/events/RULE_NODE/{node_id}"
    page = await a.admin.get(f"{base}/DEBUG_RULE_NODE", params={**PAGE, "tenantId": a.tenant_id})
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["totalElements"] == 2 and body["hasNext"] is False
    newest = body["data"][0]
    assert set(newest) == {"id", "createdTime", "tenantId", "entityId", "type", "uid", "body"}
    assert newest["type"] == "DEBUG_RULE_NODE"
    assert newest["entityId"] == {"entityType": "RULE_NODE", "id": node_id}
    assert newest["body"]["type"] == "OUT"
    assert newest["body"]["relationType"] == "Success"
    assert newest["body"]["data"] == '{"temperature":21}'
    ascending = await a.admin.get(
        f"{base}/DEBUG_RULE_NODE",
        params={**PAGE, "sortProperty": "createdTime", "sortOrder": "ASC"},
    )
    assert ascending.json()["data"][0]["body"]["type"] == "IN"

    filtered = await a.admin.post(
        base,
        params=PAGE,
        json={"eventType": "DEBUG_RULE_NODE", "msgDirectionType": "IN", "dataSearch": "TEMP"},
    )
    assert filtered.status_code == 200, filtered.text
    assert [e["body"]["type"] for e in filtered.json()["data"]] == ["IN"]

    lifecycle = (await a.admin.get(base, params=PAGE)).json()
    assert [e["body"] for e in lifecycle["data"]] == [
        {"server": "n1", "event": "STARTED", "success": True}
    ]
    stats = await a.admin.get(f"{base}/stats", params=PAGE)
    assert stats.status_code == 200 and stats.json()["data"] == []

    unknown = await a.admin.get(f"{base}/NOPE", params=PAGE)
    assert unknown.status_code == 400
    assert "not supported" in unknown.json()["message"]
    missing_type = await a.admin.post(base, params=PAGE, json={})
    assert missing_type.status_code == 400

    cleared = await a.admin.post(f"{base}/clear", json={"eventType": "DEBUG_RULE_NODE"})
    assert cleared.status_code == 200, cleared.text
    after = await a.admin.get(f"{base}/DEBUG_RULE_NODE", params=PAGE)
    assert after.json()["totalElements"] == 0
    assert (await a.admin.get(base, params=PAGE)).json()["totalElements"] == 1


async def test_other_tenants_and_customers_cannot_read_or_clear(platform_events: Platform) -> None:
    a = await platform_events.new_tenant("A")
    b = await platform_events.new_tenant("B")
    node_id = await _node(a)
    await _store(platform_events, a.tenant_id, node_id)
    base = f"/api/events/RULE_NODE/{node_id}"
    for client, status in ((b.admin, 404), (a.customer_user, 403)):
        read = await client.get(f"{base}/DEBUG_RULE_NODE", params={**PAGE, "tenantId": a.tenant_id})
        assert read.status_code == status, read.text
        assert set(read.json()) == {"status", "message", "errorCode", "timestamp"}
        flt = await client.post(base, params=PAGE, json={"eventType": "DEBUG_RULE_NODE"})
        assert flt.status_code == status
        clear = await client.post(f"{base}/clear", json={"eventType": "DEBUG_RULE_NODE"})
        assert clear.status_code == status
    # another tenant's device: refused, not an empty page
    device = (await a.admin.post("/api/device", json={"name": "d"})).json()["id"]["id"]
    foreign = await b.admin.get(f"/api/events/DEVICE/{device}/ERROR", params=PAGE)
    assert foreign.status_code in (403, 404)
    own = await a.admin.get(f"/api/events/DEVICE/{device}/ERROR", params=PAGE)
    assert own.status_code == 200 and own.json()["data"] == []
    still = await a.admin.get(f"{base}/DEBUG_RULE_NODE", params=PAGE)
    assert still.json()["totalElements"] == 2


async def test_tb_rest_client_reads_filters_and_clears(platform_events: Platform) -> None:
    a = await platform_events.new_tenant("A")
    node_id = await _node(a)
    await _store(platform_events, a.tenant_id, node_id)
    email = f"rest-{uuid.uuid4().hex[:8]}@a.test"
    await platform_events.core.users.create(
        User(email=email, authority=Authority.TENANT_ADMIN, tenant_id=uuid.UUID(a.tenant_id)),
        "client-pw-1",
    )
    server = HttpServer(platform_events.app, "127.0.0.1", 0)
    await server.start()
    client = RestClient(f"http://127.0.0.1:{server.port}")
    try:
        await asyncio.to_thread(client.login, email, "client-pw-1")
        entity = EntityId(id=node_id, entity_type="RULE_NODE")
        tenant = TenantId(id=a.tenant_id, entity_type="TENANT")
        page = await asyncio.to_thread(
            client.get_events_v1_get1, entity, "DEBUG_RULE_NODE", tenant, 10, 0
        )
        assert page.total_elements == 2
        assert {e.body["type"] for e in page.data} == {"IN", "OUT"}
        assert page.data[0].entity_id.id == node_id and page.data[0].type == "DEBUG_RULE_NODE"
        only_in = RuleNodeDebugEventFilter(event_type="DEBUG_RULE_NODE", msg_direction_type="IN")
        filtered = await asyncio.to_thread(client.get_events_post, tenant, 10, 0, entity, only_in)
        assert [e.body["type"] for e in filtered.data] == ["IN"]
        await asyncio.to_thread(client.clear_events_post, entity, only_in)
        left = await asyncio.to_thread(
            client.get_events_v1_get1, entity, "DEBUG_RULE_NODE", tenant, 10, 0
        )
        assert [e.body["type"] for e in left.data] == ["OUT"]
    finally:
        if client.api_client is not None:
            client.api_client.rest_client.pool_manager.clear()
        await server.stop()
