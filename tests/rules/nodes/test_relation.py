"""Create/delete/check relation nodes over the real relation table (both engines)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from industryos.entities.dashboard_model import Dashboard
from industryos.entities.ids import EntityType
from industryos.entities.paging import PageLink
from industryos.msg import EntityRef
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.relation import (
    CheckRelationNode,
    CreateRelationNode,
    DeleteRelationNode,
)
from tests.rules.nodes.conftest import NodeEnv

V1 = 1
PAGE = PageLink(page_size=100)


async def test_create_check_and_delete(node_env: NodeEnv) -> None:
    device = await node_env.device("tracker")
    zone_a = await node_env.asset("Zone A")
    zone_b = await node_env.asset("Zone B")
    create = node_env.build(
        CreateRelationNode,
        V1,
        direction="TO",
        entityType="ASSET",
        entityNamePattern="${zone}",
        relationType="Contains",
        removeCurrentRelations=True,
    )
    await create.on_msg(node_env.msg({}, device, zone="Zone A"))
    tenant = node_env.tenant_id
    assert await node_env.relations.exists(tenant, zone_a, device, "Contains")
    (emit,) = await create.on_msg(node_env.msg({}, device, zone="Zone B"))
    assert emit.label == "Success" and emit.msg.originator == device
    assert await node_env.relations.exists(tenant, zone_b, device, "Contains")
    assert not await node_env.relations.exists(tenant, zone_a, device, "Contains")  # removed

    check = node_env.build(
        CheckRelationNode,
        V1,
        checkForSingleEntity=True,
        direction="TO",
        entityType="ASSET",
        entityId=str(zone_b.id),
        relationType="Contains",
    )
    assert (await check.on_msg(node_env.msg({}, device)))[0].label == "True"
    any_from = node_env.build(
        CheckRelationNode, V1, checkForSingleEntity=False, direction="FROM", relationType="Contains"
    )
    assert (await any_from.on_msg(node_env.msg({}, device)))[0].label == "False"
    assert (await any_from.on_msg(node_env.msg({}, zone_b)))[0].label == "True"

    delete = node_env.build(
        DeleteRelationNode,
        V1,
        deleteForSingleEntity=True,
        direction="TO",
        entityType="ASSET",
        entityNamePattern="Zone B",
        relationType="Contains",
    )
    await delete.on_msg(node_env.msg({}, device))
    assert (await check.on_msg(node_env.msg({}, device)))[0].label == "False"


async def test_change_originator_tenant_target_and_delete_all(node_env: NodeEnv) -> None:
    device = await node_env.device("pump")
    site = await node_env.asset("Site")
    create = node_env.build(
        CreateRelationNode,
        V1,
        direction="FROM",
        entityType="ASSET",
        entityNamePattern="Site",
        relationType="Feeds",
        changeOriginatorToRelatedEntity=True,
    )
    (emit,) = await create.on_msg(node_env.msg({}, device))
    assert emit.msg.originator == site
    tenant_ref = EntityRef(EntityType.TENANT, node_env.tenant_id)
    to_tenant = node_env.build(
        CreateRelationNode, V1, direction="FROM", entityType="TENANT", relationType="Feeds"
    )
    await to_tenant.on_msg(node_env.msg({}, device))
    relations = node_env.relations
    assert await relations.exists(node_env.tenant_id, device, tenant_ref, "Feeds")
    delete_all = node_env.build(
        DeleteRelationNode, V1, deleteForSingleEntity=False, direction="FROM", relationType="Feeds"
    )
    await delete_all.on_msg(node_env.msg({}, device))
    assert not await relations.exists(node_env.tenant_id, device, site, "Feeds")
    assert not await relations.exists(node_env.tenant_id, device, tenant_ref, "Feeds")


async def test_missing_target_other_tenant_and_upgrade(node_env: NodeEnv) -> None:
    device = await node_env.device("lonely")
    create = node_env.build(
        CreateRelationNode,
        V1,
        direction="FROM",
        entityType="ASSET",
        entityNamePattern="Nowhere",
        createEntityIfNotExists=True,
    )
    (emit,) = await create.on_msg(node_env.msg({}, device))  # created, then related
    nowhere = await node_env.services.entities.find_by_name(  # type: ignore[union-attr]
        node_env.tenant_id, EntityType.ASSET, "Nowhere"
    )
    assert nowhere is not None and emit.label == "Success"
    assert await node_env.relations.exists(node_env.tenant_id, device, nowhere, "Contains")
    # without the flag a missing target fails
    strict = node_env.build(
        CreateRelationNode, V1, direction="FROM", entityType="ASSET", entityNamePattern="Gone"
    )
    with pytest.raises(NodeFailure, match="Asset with name 'Gone' was not found"):
        await strict.on_msg(node_env.msg({}, device))
    # an asset of another tenant with that name is not found either
    other_tenant_msg = node_env.msg({}, device).with_changes(tenant_id=uuid.uuid4())
    site = await node_env.asset("Site")
    named = node_env.build(
        CreateRelationNode, V1, direction="FROM", entityType="ASSET", entityNamePattern="Site"
    )
    with pytest.raises(NodeFailure, match="was not found"):
        await named.on_msg(other_tenant_msg)
    # version 0 meant the opposite direction
    legacy = node_env.build(
        CheckRelationNode,
        0,
        checkForSingleEntity=True,
        direction="FROM",
        entityType="ASSET",
        entityId=str(site.id),
        relationType="Contains",
    )
    await node_env.relations.create(node_env.tenant_id, site, device, "Contains")
    assert (await legacy.on_msg(node_env.msg({}, device)))[0].label == "True"
    with pytest.raises(NodeConfigError):
        node_env.build(CheckRelationNode, V1, checkForSingleEntity=True, entityType="ASSET")
    with pytest.raises(NodeConfigError):
        node_env.build(CreateRelationNode, V1, entityType="WIDGET", entityNamePattern="x")


async def test_create_missing_device_with_profile_from_templates(node_env: NodeEnv) -> None:
    """Checks createEntityIfNotExists end to end: name from $[data], profile from ${metadata}."""
    gateway = await node_env.device("gateway-1")
    create = node_env.build(
        CreateRelationNode,
        V1,
        direction="FROM",
        entityType="DEVICE",
        entityNamePattern="$[child.name]",
        entityTypePattern="${childType}",
        relationType="Manages",
        createEntityIfNotExists=True,
        changeOriginatorToRelatedEntity=True,
    )
    node_env.base.publisher.messages.clear()
    msg = node_env.msg({"child": {"name": "sensor-7"}}, gateway, childType="thermometer")
    (emit,) = await create.on_msg(msg)
    child = emit.msg.originator  # changeOriginatorToRelatedEntity
    assert child.entity_type is EntityType.DEVICE and child != gateway
    assert await node_env.relations.exists(node_env.tenant_id, gateway, child, "Manages")
    admin = node_env.base.admin
    device = await node_env.base.core.devices.get(admin, child.id)
    assert device.name == "sensor-7" and device.type == "thermometer"
    assert device.tenant_id == node_env.tenant_id
    # created through the device service: its profile was created and it was announced
    profiles = await node_env.base.core.device_profiles.page(admin, PAGE)
    assert "thermometer" in {p.name for p in profiles.data}
    created = [m for m in node_env.base.publisher.messages if m.type == "ENTITY_CREATED"]
    assert child in [m.originator for m in created]

    # the next message finds it: no second device, the same relation
    (again,) = await create.on_msg(msg)
    assert again.msg.originator == child
    page = await node_env.base.core.devices.page(admin, PAGE)
    assert [d.name for d in page.data].count("sensor-7") == 1

    # no type pattern: the tenant's default profile
    plain = node_env.build(
        CreateRelationNode,
        V1,
        direction="TO",
        entityType="DEVICE",
        entityNamePattern="${name}",
        createEntityIfNotExists=True,
    )
    await plain.on_msg(node_env.msg({}, gateway, name="plain-1"))
    found = await node_env.services.entities.find_by_name(  # type: ignore[union-attr]
        node_env.tenant_id, EntityType.DEVICE, "plain-1"
    )
    assert found is not None
    assert (await node_env.base.core.devices.get(admin, found.id)).type == "default"
    assert await node_env.relations.exists(node_env.tenant_id, found, gateway, "Contains")

    # a name or type the message does not resolve creates nothing
    with pytest.raises(NodeFailure, match="placeholder the message does not resolve"):
        await create.on_msg(node_env.msg({"other": 1}, gateway, childType="thermometer"))
    with pytest.raises(NodeFailure, match="placeholder"):
        await create.on_msg(node_env.msg({"child": {"name": "sensor-8"}}, gateway))
    page = await node_env.base.core.devices.page(admin, PAGE)
    assert not any("$" in d.name or d.name == "sensor-8" for d in page.data)


async def test_create_missing_customer_and_asset_with_profile(node_env: NodeEnv) -> None:
    device = await node_env.device("meter")
    to_customer = node_env.build(
        CreateRelationNode,
        V1,
        direction="TO",
        entityType="CUSTOMER",
        entityNamePattern="${owner}",
        relationType="Owns",
        createEntityIfNotExists=True,
    )
    await to_customer.on_msg(node_env.msg({}, device, owner="ACME"))
    entities = node_env.services.entities
    assert entities is not None
    acme = await entities.find_by_name(node_env.tenant_id, EntityType.CUSTOMER, "ACME")
    assert acme is not None
    assert await node_env.relations.exists(node_env.tenant_id, acme, device, "Owns")

    to_asset = node_env.build(
        CreateRelationNode,
        V1,
        direction="TO",
        entityType="ASSET",
        entityNamePattern="Hall $[hall]",
        entityTypePattern="building",
        createEntityIfNotExists=True,
    )
    await to_asset.on_msg(node_env.msg({"hall": 3}, device))
    hall = await entities.find_by_name(node_env.tenant_id, EntityType.ASSET, "Hall 3")
    assert hall is not None
    asset = await node_env.base.core.assets.get(node_env.base.admin, hall.id)
    assert asset.type == "building"
    assert await node_env.relations.exists(node_env.tenant_id, hall, device, "Contains")


async def test_concurrent_creations_of_one_name_make_one_entity(node_env: NodeEnv) -> None:
    device = await node_env.device("busy")
    create = node_env.build(
        CreateRelationNode,
        V1,
        direction="TO",
        entityType="ASSET",
        entityNamePattern="Shared",
        createEntityIfNotExists=True,
    )
    results = await asyncio.gather(*(create.on_msg(node_env.msg({}, device)) for _ in range(4)))
    assert all(r[0].label == "Success" for r in results)
    page = await node_env.base.core.assets.page(node_env.base.admin, PAGE)
    assert [a.name for a in page.data].count("Shared") == 1


async def test_upgrade_from_version_0_drops_the_entity_cache(node_env: NodeEnv) -> None:
    upgraded = CreateRelationNode.upgrade(
        0, {"direction": "FROM", "entityCacheExpiration": 300, "entityType": "ASSET"}
    )
    assert upgraded == {"direction": "TO", "entityType": "ASSET"}


async def test_user_and_dashboard_targets_by_email_and_title(node_env: NodeEnv) -> None:
    device = await node_env.device("panel")
    saved = await node_env.base.core.dashboards.save(
        node_env.base.admin, Dashboard(title="Plant overview")
    )
    assert saved.id is not None
    board = EntityRef(EntityType.DASHBOARD, saved.id)
    admin = EntityRef(EntityType.USER, node_env.base.admin.user_id)
    to_user = node_env.build(
        CreateRelationNode,
        V1,
        direction="TO",
        entityType="USER",
        entityNamePattern="${owner}",
        relationType="Manages",
        createEntityIfNotExists=True,  # users are never created by rules
    )
    await to_user.on_msg(node_env.msg({}, device, owner="admin@test.local"))
    assert await node_env.relations.exists(node_env.tenant_id, admin, device, "Manages")
    with pytest.raises(NodeFailure, match="was not found"):
        await to_user.on_msg(node_env.msg({}, device, owner="nobody@test.local"))
    to_board = node_env.build(
        CreateRelationNode, V1, direction="FROM", entityType="DASHBOARD", entityNamePattern="$[d]"
    )
    await to_board.on_msg(node_env.msg({"d": "Plant overview"}, device))
    assert await node_env.relations.exists(node_env.tenant_id, device, board, "Contains")
