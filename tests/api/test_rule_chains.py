"""Rule chain REST (checklist 27, 28): metadata round trip, root chain, import errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from industryos.api.routes import rule_chains as routes
from industryos.queue.embedded import EmbeddedQueue, EmbeddedQueueConfig
from industryos.rules.default_chain import root_chain_export
from industryos.rules.engine import RuleEngine
from industryos.rules.entities import EntityFields
from industryos.rules.nodes.base import ServiceSet
from industryos.rules.service import RuleChainService
from tests.api.conftest import NodePlatform, Platform

P = "org.thingsboard.rule.engine."


@pytest.fixture
async def chains(platform: Platform, tmp_path: object) -> AsyncIterator[Platform]:
    service = RuleChainService(platform.core.db)
    platform.core.tenants.on_tenant_created(service.on_tenant_created)
    queue = await EmbeddedQueue.open(EmbeddedQueueConfig(data_dir=tmp_path / "q"))  # type: ignore[operator]
    engine = RuleEngine(queue, service, ServiceSet(), EntityFields(platform.core.db))
    routes.install(platform.app, routes.RuleChainApi(service, engine))
    yield platform
    await engine.stop()
    await queue.close()


async def test_new_tenant_gets_root_chain_which_cannot_be_deleted(chains: Platform) -> None:
    tenant = await chains.new_tenant("Acme")
    page = (await tenant.admin.get("/api/ruleChains", params={"pageSize": 10, "page": 0})).json()
    assert [c["name"] for c in page["data"]] == ["Root Rule Chain"]
    root = page["data"][0]
    assert root["root"] is True
    meta = (await tenant.admin.get(f"/api/ruleChain/{root['id']['id']}/metadata")).json()
    expected = root_chain_export()["metadata"]
    assert meta["firstNodeIndex"] == expected["firstNodeIndex"]
    assert [n["type"] for n in meta["nodes"]] == [n["type"] for n in expected["nodes"]]
    assert meta["connections"] == expected["connections"]
    deleted = await tenant.admin.delete(f"/api/ruleChain/{root['id']['id']}")
    assert deleted.status_code == 400
    assert deleted.json()["message"] == "Deletion of Root Tenant Rule Chain is prohibited!"


async def test_metadata_round_trip_assigns_ids_and_keeps_indices(chains: Platform) -> None:
    admin = (await chains.new_tenant("Beta")).admin
    chain = (await admin.post("/api/ruleChain", json={"name": "Mine", "type": "CORE"})).json()
    chain_id = chain["id"]["id"]
    assert chain["root"] is False
    body = {
        "ruleChainId": {"entityType": "RULE_CHAIN", "id": chain_id},
        "firstNodeIndex": 1,
        "nodes": [
            {
                "type": P + "telemetry.TbMsgTimeseriesNode",
                "name": "Save",
                "configuration": {"defaultTTL": 0},
                "additionalInfo": {"layoutX": 1, "layoutY": 2},
            },
            {
                "type": P + "filter.TbMsgTypeSwitchNode",
                "name": "Switch",
                "configuration": {"version": 0},
                "debugSettings": {"failuresEnabled": True},
            },
        ],
        "connections": [{"fromIndex": 1, "toIndex": 0, "type": "Post telemetry"}],
        "ruleChainConnections": None,
    }
    saved = (await admin.post("/api/ruleChain/metadata", json=body)).json()
    assert all(n["id"]["entityType"] == "RULE_NODE" for n in saved["nodes"])
    fetched = (await admin.get(f"/api/ruleChain/{chain_id}/metadata")).json()
    assert fetched == saved
    assert fetched["firstNodeIndex"] == 1
    assert fetched["connections"] == body["connections"]
    assert [n["name"] for n in fetched["nodes"]] == ["Save", "Switch"]
    assert fetched["nodes"][0]["additionalInfo"] == {"layoutX": 1, "layoutY": 2}
    assert fetched["nodes"][1]["debugSettings"] == {"failuresEnabled": True}
    # saving the fetched metadata again keeps the node ids
    again = (await admin.post("/api/ruleChain/metadata", json=fetched)).json()
    assert [n["id"] for n in again["nodes"]] == [n["id"] for n in fetched["nodes"]]
    exported = (await admin.get("/api/ruleChains/export", params={"limit": 10})).json()
    assert {c["name"] for c in exported["ruleChains"]} == {"Root Rule Chain", "Mine"}
    root_set = await admin.post(f"/api/ruleChain/{chain_id}/root")
    assert root_set.json()["root"] is True


async def test_import_with_unknown_node_class_names_it(chains: Platform) -> None:
    admin = (await chains.new_tenant("Gamma")).admin
    data: dict[str, Any] = {
        "ruleChains": [{"id": {"id": "6a0f7c40-0000-11ee-8000-000000000001"}, "name": "X"}],
        "metadata": [
            {
                "ruleChainId": {"id": "6a0f7c40-0000-11ee-8000-000000000001"},
                "firstNodeIndex": 0,
                "nodes": [{"type": P + "action.TbSomethingNew", "name": "n", "configuration": {}}],
                "connections": [],
            }
        ],
    }
    response = await admin.post("/api/ruleChains/import", json=data)
    assert response.status_code == 400
    assert "org.thingsboard.rule.engine.action.TbSomethingNew" in response.json()["message"]
    ok = dict(data)
    ok["metadata"] = [
        dict(
            data["metadata"][0],
            nodes=[
                {
                    "type": P + "action.TbLogNode",
                    "name": "l",
                    "configuration": {"jsScript": "return 'x';", "scriptLang": "JS"},
                }
            ],
        )
    ]
    imported = (await admin.post("/api/ruleChains/import", json=ok)).json()
    assert imported[0]["ruleChainName"] == "X"


async def test_test_script_and_components(chains: Platform) -> None:
    admin = (await chains.new_tenant("Delta")).admin
    body = {
        "script": "return msg.t > 20;",
        "scriptType": "filter",
        "msg": '{"t": 25}',
        "metadata": {},
        "msgType": "POST_TELEMETRY_REQUEST",
    }
    assert (await admin.post("/api/ruleChain/testScript", json=body)).json() == {
        "output": "true",
        "error": "",
    }
    body["script"] = "return 1;"
    result = (await admin.post("/api/ruleChain/testScript", json=body)).json()
    assert "Wrong result type" in result["error"]
    filters = (await admin.get("/api/components/FILTER")).json()
    assert P + "filter.TbJsFilterNode" in {c["clazz"] for c in filters}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_queue_stats_and_metrics_report_the_ingest_gate_on_main(
    node_platform: NodePlatform,
) -> None:
    """The sysadmin sees how often device uplinks had to wait for the rule engine."""
    sysadmin = await node_platform.sysadmin()
    response = await sysadmin.get("/api/ruleEngine/queues/stats")
    assert response.status_code == 200
    queues = {q["queueName"]: q for q in response.json()}
    assert queues["Main"]["ingestGateOpen"] is True
    assert queues["Main"]["ingestGateClosings"] == 0
    assert queues["Main"]["ingestWaiting"] == 0
    others = [q for name, q in queues.items() if name != "Main"]
    assert others and all("ingestGateClosings" not in q for q in others)
    metrics = (await node_platform.client().get("/metrics")).text
    assert 'industryos_ingest_gate_closings_total{queue="Main",worker="0"} 0' in metrics
    assert 'industryos_ingest_waiting{queue="Main",worker="0"} 0' in metrics
