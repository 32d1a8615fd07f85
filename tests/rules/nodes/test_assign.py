"""Assign to / unassign from customer nodes through the entity services (both engines)."""

from __future__ import annotations

import pytest

from industryos.entities.ids import NULL_UUID, EntityType
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.assign import AssignToCustomerNode, UnassignFromCustomerNode
from tests.rules.nodes.conftest import NodeEnv


async def test_assign_create_and_unassign(node_env: NodeEnv) -> None:
    device = await node_env.device("meter-9")
    asset = await node_env.asset("Line 2")
    acme = await node_env.customer("Acme")
    core, admin = node_env.base.core, node_env.base.admin
    assign = node_env.build(AssignToCustomerNode, customerNamePattern="${customer}")
    (emit,) = await assign.on_msg(node_env.msg({}, device, customer="Acme"))
    assert emit.label == "Success"
    assert (await core.devices.get(admin, device.id)).customer_id == acme.id
    assert "ENTITY_ASSIGNED" in node_env.base.publisher.types()

    with pytest.raises(NodeFailure, match="doesn't exist"):
        await assign.on_msg(node_env.msg({}, asset, customer="Globex"))
    creating = node_env.build(
        AssignToCustomerNode, customerNamePattern="${customer}", createCustomerIfNotExists=True
    )
    await creating.on_msg(node_env.msg({}, asset, customer="Globex"))
    owner = (await core.assets.get(admin, asset.id)).customer_id
    globex = await node_env.services.entities.find_by_name(  # type: ignore[union-attr]
        node_env.tenant_id, EntityType.CUSTOMER, "Globex"
    )
    assert globex is not None and owner == globex.id

    unassign = node_env.build(UnassignFromCustomerNode)
    await unassign.on_msg(node_env.msg({}, device))
    assert (await core.devices.get(admin, device.id)).customer_id == NULL_UUID
    with pytest.raises(NodeFailure, match="isn't assigned"):
        await unassign.on_msg(node_env.msg({}, device))
    with pytest.raises(NodeFailure, match="Unsupported originator type"):
        await unassign.on_msg(node_env.msg({}, acme))
    with pytest.raises(NodeConfigError):
        node_env.build(AssignToCustomerNode)
