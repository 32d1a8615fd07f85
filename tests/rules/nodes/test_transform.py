"""Change originator node (``transform.TbChangeOriginatorNode``) over real entities,
relations and alarms (both engines): every ``originatorSource``."""

from __future__ import annotations

import uuid

import pytest

from industryos.alarms.enums import AlarmSeverity
from industryos.alarms.model import Alarm
from industryos.entities.ids import EntityType
from industryos.msg import EntityRef
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.transform import ChangeOriginatorNode
from tests.rules.nodes.conftest import NodeEnv

V1 = 1


async def test_tenant_customer_and_named_entity(node_env: NodeEnv) -> None:
    device = await node_env.device("boiler")
    acme = await node_env.customer("ACME")
    tenant = node_env.build(ChangeOriginatorNode, V1, originatorSource="TENANT")
    (emit,) = await tenant.on_msg(node_env.msg({"t": 1}, device))
    assert emit.label == "Success"
    assert emit.msg.originator == EntityRef(EntityType.TENANT, node_env.tenant_id)
    assert emit.msg.data == '{"t":1}'

    customer = node_env.build(ChangeOriginatorNode, V1, originatorSource="CUSTOMER")
    (owned,) = await customer.on_msg(node_env.msg({}, device, customer_id=acme.id))
    assert owned.msg.originator == acme
    with pytest.raises(NodeFailure, match="Failed to find new originator"):
        await customer.on_msg(node_env.msg({}, device))  # not assigned

    named = node_env.build(
        ChangeOriginatorNode,
        V1,
        originatorSource="ENTITY",
        entityType="ASSET",
        entityNamePattern="${building}",
    )
    hall = await node_env.asset("Hall 1")
    (moved,) = await named.on_msg(node_env.msg({}, device, building="Hall 1"))
    assert moved.msg.originator == hall
    with pytest.raises(NodeFailure):
        await named.on_msg(node_env.msg({}, device, building="Hall 9"))
    with pytest.raises(NodeConfigError, match="entityNamePattern"):
        node_env.build(ChangeOriginatorNode, V1, originatorSource="ENTITY", entityType="ASSET")


async def test_related_follows_the_whole_relations_query(node_env: NodeEnv) -> None:
    sensor = await node_env.device("sensor")
    room = await node_env.asset("Room", "room")
    floor = await node_env.asset("Floor", "floor")
    gateway = await node_env.device("gw")
    tenant = node_env.tenant_id
    await node_env.relations.create(tenant, room, sensor, "Contains")
    await node_env.relations.create(tenant, floor, room, "Contains")
    await node_env.relations.create(tenant, gateway, sensor, "Manages")

    def related(**query: object) -> ChangeOriginatorNode:
        node = node_env.build(
            ChangeOriginatorNode, V1, originatorSource="RELATED", relationsQuery=query
        )
        assert isinstance(node, ChangeOriginatorNode)
        return node

    contains_up = related(
        direction="TO", maxLevel=1, filters=[{"relationType": "Contains", "entityTypes": []}]
    )
    (emit,) = await contains_up.on_msg(node_env.msg({}, sensor))
    assert emit.msg.originator == room
    # filters on entity type and relation type, and more than one level
    two_up = related(
        direction="TO",
        maxLevel=2,
        fetchLastLevelOnly=True,
        filters=[{"relationType": "Contains", "entityTypes": ["ASSET"]}],
    )
    assert (await two_up.on_msg(node_env.msg({}, sensor)))[0].msg.originator == floor
    managed_by = related(
        direction="TO", filters=[{"relationType": "Manages", "entityTypes": ["DEVICE"]}]
    )
    assert (await managed_by.on_msg(node_env.msg({}, sensor)))[0].msg.originator == gateway
    nothing = related(direction="FROM", filters=[{"relationType": "Contains"}])
    with pytest.raises(NodeFailure, match="Failed to find new originator"):
        await nothing.on_msg(node_env.msg({}, sensor))


async def test_alarm_originator(node_env: NodeEnv) -> None:
    device = await node_env.device("pump")
    change = await node_env.base.core.alarms.service.raise_alarm(
        Alarm(node_env.tenant_id, device, "Overheat", AlarmSeverity.CRITICAL)
    )
    alarm_ref = EntityRef(EntityType.ALARM, change.alarm.id)
    node = node_env.build(ChangeOriginatorNode, V1, originatorSource="ALARM_ORIGINATOR")
    (emit,) = await node.on_msg(node_env.msg({}, alarm_ref))
    assert emit.msg.originator == device
    with pytest.raises(NodeFailure):  # only an alarm has an originator
        await node.on_msg(node_env.msg({}, device))
    with pytest.raises(NodeFailure):  # an unknown alarm (or another tenant's)
        await node.on_msg(node_env.msg({}, EntityRef(EntityType.ALARM, uuid.uuid4())))
    other_tenant = node_env.msg({}, alarm_ref).with_changes(tenant_id=uuid.uuid4())
    with pytest.raises(NodeFailure):
        await node.on_msg(other_tenant)
