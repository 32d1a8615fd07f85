"""Create/delete/check relation nodes over the real relation table (both engines)."""

from __future__ import annotations

import uuid

import pytest

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.relation import (
    CheckRelationNode,
    CreateRelationNode,
    DeleteRelationNode,
)
from tests.rules.nodes.conftest import NodeEnv

V1 = 1


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
    with pytest.raises(NodeFailure, match="not supported"):
        await create.on_msg(node_env.msg({}, device))
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
