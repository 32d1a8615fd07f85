"""Customer and tenant details nodes over real rows (both engines)."""

from __future__ import annotations

import orjson
import pytest

from industryos.entities.models import Customer
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.details import GetCustomerDetailsNode, GetTenantDetailsNode
from tests.rules.nodes.conftest import NodeEnv


async def test_customer_and_tenant_details(node_env: NodeEnv) -> None:
    core, admin = node_env.base.core, node_env.base.admin
    customer = await core.customers.save(
        admin,
        Customer(title="Acme", country="NL", city="Delft", additional_info={"tier": "gold"}),
    )
    assert customer.id is not None
    device = await node_env.device("d")
    node = node_env.build(
        GetCustomerDetailsNode,
        1,
        detailsList=["TITLE", "CITY", "PHONE", "ADDITIONAL_INFO"],
        fetchTo="DATA",
    )
    (emit,) = await node.on_msg(node_env.msg({"t": 1}, device, customer_id=customer.id))
    assert orjson.loads(emit.msg.data) == {
        "t": 1,
        "customer_title": "Acme",
        "customer_city": "Delft",
        "customer_additionalInfo": {"tier": "gold"},
    }
    with pytest.raises(NodeFailure, match="No customer"):
        await node.on_msg(node_env.msg({}, device))
    legacy = node_env.build(GetTenantDetailsNode, 0, detailsList=["TITLE"], addToMetadata=True)
    (emit,) = await legacy.on_msg(node_env.msg({}, device))
    assert emit.msg.metadata["tenant_title"] == "T"
    with pytest.raises(NodeConfigError):
        node_env.build(GetTenantDetailsNode, 1, detailsList=["SHOE_SIZE"])


async def test_fetch_device_credentials(node_env: NodeEnv) -> None:
    from industryos.rules.nodes.details import FetchDeviceCredentialsNode

    device = await node_env.device("keyed")
    creds = await node_env.base.core.devices.get_credentials(node_env.base.admin, device.id)
    node = node_env.build(FetchDeviceCredentialsNode, fetchTo="METADATA")
    (emit,) = await node.on_msg(node_env.msg({}, device))
    assert emit.msg.metadata["credentialsType"] == "ACCESS_TOKEN"
    assert emit.msg.metadata["credentials"] == creds.credentials_id
    to_body = node_env.build(FetchDeviceCredentialsNode, fetchTo="DATA")
    (emit,) = await to_body.on_msg(node_env.msg({"t": 1}, device))
    assert orjson.loads(emit.msg.data)["credentials"] == creds.credentials_id
    with pytest.raises(NodeFailure, match="not DEVICE"):
        await node.on_msg(node_env.msg({}, await node_env.asset("a")))
    foreign = node_env.msg({}, device).with_changes(tenant_id=node_env.base.admin.user_id)
    with pytest.raises(NodeFailure, match="Failed to get Device Credentials"):
        await node.on_msg(foreign)
