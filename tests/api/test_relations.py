"""Relation REST (spec §3.4, checklist 13): both path families, queries, audit, messages."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from industryos.demo import DEMO_ASSET, DEMO_DEVICES, TENANT_ADMIN_EMAIL
from industryos.entities.access import Caller
from industryos.entities.models import Authority
from industryos.entities.paging import PageLink
from tests.api.conftest import Platform

Json = dict[str, Any]


async def _device(admin: httpx.AsyncClient, name: str) -> Json:
    response = await admin.post("/api/device", json={"name": name})
    assert response.status_code == 200, response.text
    return dict(response.json()["id"])


async def _relate(
    admin: httpx.AsyncClient, src: Json, dst: Json, kind: str = "Contains", **extra: Any
) -> httpx.Response:
    return await admin.post(
        "/api/v2/relation", json={"from": src, "to": dst, "type": kind, **extra}
    )


def _pairs(relations: list[Json]) -> set[tuple[str, str, str]]:
    return {(r["from"]["id"], r["type"], r["to"]["id"]) for r in relations}


async def test_v2_save_echoes_relation_and_lists_it(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    hub, leaf = await _device(a.admin, "hub"), await _device(a.admin, "leaf")
    response = await _relate(a.admin, hub, leaf)
    assert response.status_code == 200
    saved = response.json()
    assert saved["from"] == hub
    assert saved["to"] == leaf
    assert saved["type"] == "Contains"
    assert saved["typeGroup"] == "COMMON"
    assert saved["version"] == 1

    listed = await a.admin.get("/api/relations", params={"fromId": hub["id"], "fromType": "DEVICE"})
    assert listed.status_code == 200
    assert _pairs(listed.json()) == {(hub["id"], "Contains", leaf["id"])}
    to_side = await a.admin.get("/api/relations", params={"toId": leaf["id"], "toType": "DEVICE"})
    assert _pairs(to_side.json()) == {(hub["id"], "Contains", leaf["id"])}


async def test_v1_save_returns_empty_body_and_update_bumps_version(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    hub, leaf = await _device(a.admin, "hub"), await _device(a.admin, "leaf")
    body = {"from": hub, "to": leaf, "type": "Manages", "additionalInfo": {"n": 1}}
    response = await a.admin.post("/api/relation", json=body)
    assert response.status_code == 200
    assert response.content == b""
    again = await a.admin.post("/api/v2/relation", json={**body, "additionalInfo": {"n": 2}})
    assert again.json()["version"] == 2
    params = {
        "fromId": hub["id"],
        "fromType": "DEVICE",
        "toId": leaf["id"],
        "toType": "DEVICE",
        "relationType": "Manages",
    }
    stored = (await a.admin.get("/api/relation", params=params)).json()
    assert stored["additionalInfo"] == {"n": 2}
    assert stored["version"] == 2


async def test_get_and_delete_single_relation(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    hub, leaf = await _device(a.admin, "hub"), await _device(a.admin, "leaf")
    await _relate(a.admin, hub, leaf)
    params = {
        "fromId": hub["id"],
        "fromType": "DEVICE",
        "toId": leaf["id"],
        "toType": "DEVICE",
        "relationType": "Contains",
        "relationTypeGroup": "COMMON",
    }
    assert (await a.admin.get("/api/relation", params=params)).status_code == 200
    deleted = await a.admin.delete("/api/v2/relation", params=params)
    assert deleted.status_code == 200
    assert deleted.json()["type"] == "Contains"
    missing = await a.admin.get("/api/relation", params=params)
    assert missing.status_code == 404
    assert missing.json()["errorCode"] == 32
    assert (await a.admin.delete("/api/relation", params=params)).status_code == 404

    await _relate(a.admin, hub, leaf)
    v1 = await a.admin.delete("/api/relation", params=params)
    assert v1.status_code == 200
    assert v1.content == b""
    assert (await a.admin.get("/api/relation", params=params)).status_code == 404


async def test_type_filter_infos_and_path_style_variants(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    hub = await _device(a.admin, "hub")
    first, second = await _device(a.admin, "first"), await _device(a.admin, "second")
    await _relate(a.admin, hub, first, "Contains")
    await _relate(a.admin, hub, second, "Manages")
    customer = {"entityType": "CUSTOMER", "id": a.customer_id}
    await _relate(a.admin, customer, hub, "Owns")

    contains = await a.admin.get(
        "/api/relations",
        params={"fromId": hub["id"], "fromType": "DEVICE", "relationType": "Contains"},
    )
    assert _pairs(contains.json()) == {(hub["id"], "Contains", first["id"])}

    path_all = await a.admin.get(f"/api/relations/from/DEVICE/{hub['id']}")
    assert len(path_all.json()) == 2
    path_typed = await a.admin.get(f"/api/relations/from/DEVICE/{hub['id']}/Manages")
    assert _pairs(path_typed.json()) == {(hub["id"], "Manages", second["id"])}
    path_to = await a.admin.get(f"/api/relations/to/DEVICE/{hub['id']}")
    assert _pairs(path_to.json()) == {(a.customer_id, "Owns", hub["id"])}
    path_to_typed = await a.admin.get(f"/api/relations/to/DEVICE/{hub['id']}/Contains")
    assert path_to_typed.json() == []

    infos = (await a.admin.get(f"/api/relations/info/from/DEVICE/{hub['id']}")).json()
    assert {(i["fromName"], i["toName"]) for i in infos} == {("hub", "first"), ("hub", "second")}
    infos_to = (await a.admin.get(f"/api/relations/info/to/DEVICE/{hub['id']}")).json()
    assert [(i["fromName"], i["toName"]) for i in infos_to] == [("A Customer", "hub")]
    query_infos = await a.admin.get(
        "/api/relations/info", params={"toId": first["id"], "toType": "DEVICE"}
    )
    assert [(i["fromName"], i["toName"]) for i in query_infos.json()] == [("hub", "first")]

    other_group = await a.admin.get(
        "/api/relations",
        params={"fromId": hub["id"], "fromType": "DEVICE", "relationTypeGroup": "RULE_CHAIN"},
    )
    assert other_group.json() == []


async def test_delete_all_relations_of_entity(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    hub, up, down = [await _device(a.admin, n) for n in ("hub", "up", "down")]
    await _relate(a.admin, up, hub)
    await _relate(a.admin, hub, down)
    await _relate(a.admin, up, down)
    response = await a.admin.delete(
        "/api/relations", params={"entityId": hub["id"], "entityType": "DEVICE"}
    )
    assert response.status_code == 200
    remaining = await a.admin.get(
        "/api/relations", params={"fromId": up["id"], "fromType": "DEVICE"}
    )
    assert _pairs(remaining.json()) == {(up["id"], "Contains", down["id"])}
    assert (await a.admin.get(f"/api/relations/to/DEVICE/{hub['id']}")).json() == []


async def _chain(admin: httpx.AsyncClient) -> list[Json]:
    """root → mid → leaf, root → side (Manages), leaf → root (a cycle)."""
    root, mid, leaf, side = [await _device(admin, n) for n in ("root", "mid", "leaf", "side")]
    await _relate(admin, root, mid)
    await _relate(admin, mid, leaf)
    await _relate(admin, root, side, "Manages")
    await _relate(admin, leaf, root)
    return [root, mid, leaf, side]


async def test_relations_query_levels_filters_and_cycles(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    root, mid, leaf, side = await _chain(a.admin)

    def query(**params: Any) -> Json:
        base = {"rootId": root["id"], "rootType": "DEVICE", "direction": "FROM"}
        filters = params.pop("filters", [])
        return {"parameters": {**base, **params}, "filters": filters}

    level1 = (await a.admin.post("/api/relations", json=query(maxLevel=1))).json()
    assert _pairs(level1) == {
        (root["id"], "Contains", mid["id"]),
        (root["id"], "Manages", side["id"]),
    }

    level2 = (await a.admin.post("/api/relations", json=query(maxLevel=2))).json()
    assert (mid["id"], "Contains", leaf["id"]) in _pairs(level2)
    assert len(level2) == 3

    unbounded = (await a.admin.post("/api/relations", json=query(maxLevel=0))).json()
    assert len(unbounded) == 4  # the cycle back to root is reported once and not expanded

    last_only = await a.admin.post(
        "/api/relations", json=query(maxLevel=2, fetchLastLevelOnly=True)
    )
    assert _pairs(last_only.json()) == {(mid["id"], "Contains", leaf["id"])}

    contains_only = await a.admin.post(
        "/api/relations",
        json=query(maxLevel=3, filters=[{"relationType": "Contains", "entityTypes": ["DEVICE"]}]),
    )
    assert {r["type"] for r in contains_only.json()} == {"Contains"}
    negated = await a.admin.post(
        "/api/relations",
        json=query(maxLevel=3, filters=[{"relationType": "Contains", "negate": True}]),
    )
    assert _pairs(negated.json()) == {(root["id"], "Manages", side["id"])}
    no_assets = await a.admin.post(
        "/api/relations", json=query(maxLevel=3, filters=[{"entityTypes": ["ASSET"]}])
    )
    assert no_assets.json() == []

    backwards = await a.admin.post(
        "/api/relations/info",
        json={"parameters": {"rootId": leaf["id"], "rootType": "DEVICE", "direction": "TO"}},
    )
    assert [(i["fromName"], i["toName"]) for i in backwards.json()] == [("mid", "leaf")]


async def test_relation_writes_are_audited_and_announced(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    hub, leaf = await _device(a.admin, "hub"), await _device(a.admin, "leaf")
    assert platform.publisher is not None
    before = len(platform.publisher.messages)
    await _relate(a.admin, hub, leaf)
    added = platform.publisher.messages[before:]
    assert [m.type for m in added] == ["RELATION_ADD_OR_UPDATE"] * 2
    assert {str(m.originator.id) for m in added} == {hub["id"], leaf["id"]}
    params = {
        "fromId": hub["id"],
        "fromType": "DEVICE",
        "toId": leaf["id"],
        "toType": "DEVICE",
        "relationType": "Contains",
    }
    await a.admin.delete("/api/relation", params=params)
    assert platform.publisher.types()[-2:] == ["RELATION_DELETED"] * 2
    await _relate(a.admin, hub, leaf)
    await a.admin.delete("/api/relations", params={"entityId": hub["id"], "entityType": "DEVICE"})
    assert platform.publisher.types()[-1] == "RELATION_DELETED"

    entries = await audit_actions(platform, a.tenant_id, hub["id"])
    for action in ("RELATION_ADD_OR_UPDATE", "RELATION_DELETED", "RELATIONS_DELETED"):
        assert action in entries


async def audit_actions(platform: Platform, tenant_id: str, entity_id: str) -> list[str]:
    """Action types audited for one entity, read through the audit service."""
    caller = Caller(
        uuid.uuid4(), "auditor@test.local", Authority.TENANT_ADMIN, uuid.UUID(tenant_id)
    )
    page = await platform.core.audit.page(
        caller, PageLink(page_size=1000), entity_id=uuid.UUID(entity_id)
    )
    return [entry.action_type.value for entry in page.data]


async def test_demo_building_contains_the_demo_devices(platform: Platform) -> None:
    core = platform.core
    sysadmin = await core.users.find_by_email("sysadmin@test.local")
    assert sysadmin is not None
    await core.bootstrap()._demo_tenant(sysadmin)
    admin = await platform.login(TENANT_ADMIN_EMAIL, "tenant")
    building = (await admin.get("/api/tenant/asset", params={"assetName": DEMO_ASSET})).json()
    infos = await admin.get(f"/api/relations/info/from/ASSET/{building['id']['id']}")
    assert infos.status_code == 200
    assert {(i["fromName"], i["type"], i["toName"]) for i in infos.json()} == {
        (DEMO_ASSET, "Contains", name) for name in DEMO_DEVICES
    }
