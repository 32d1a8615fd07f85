"""Related entity, customer and tenant data nodes over real storage (both engines)."""

from __future__ import annotations

import orjson
import pytest

from industryos.entities.ids import EntityType
from industryos.msg import EntityRef
from industryos.rules.errors import NodeFailure
from industryos.rules.nodes.mapped import (
    GetCustomerAttributeNode,
    GetRelatedAttributeNode,
    GetTenantAttributeNode,
)
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry, TsKvEntry
from tests.rules.nodes.conftest import NodeEnv

QUERY = {
    "direction": "TO",
    "maxLevel": 2,
    "filters": [{"relationType": "Contains", "entityTypes": ["ASSET"]}],
    "fetchLastLevelOnly": False,
}


async def test_related_entity_attributes_telemetry_and_fields(node_env: NodeEnv) -> None:
    device = await node_env.device("sensor")
    room = await node_env.asset("Room 1", "room")
    telemetry = node_env.base.core.telemetry
    tenant = node_env.tenant_id
    await node_env.relations.create(tenant, room, device, "Contains")
    await telemetry.save_attributes(
        tenant, room.id, AttributeScope.SERVER_SCOPE, [KvEntry("maxTemp", 25, DataType.LONG)]
    )
    await telemetry.save_timeseries(
        tenant, room.id, [TsKvEntry(1000, "occupancy", 3, DataType.LONG)]
    )
    attributes = node_env.build(
        GetRelatedAttributeNode,
        1,
        relationsQuery=QUERY,
        dataToFetch="ATTRIBUTES",
        dataMapping={"maxTemp": "threshold", "missing": "nothing"},
        fetchTo="METADATA",
    )
    (emit,) = await attributes.on_msg(node_env.msg({"t": 1}, device))
    assert emit.msg.metadata["threshold"] == "25"
    assert "nothing" not in emit.msg.metadata
    latest = node_env.build(
        GetRelatedAttributeNode,
        1,
        relationsQuery=QUERY,
        dataToFetch="LATEST_TELEMETRY",
        dataMapping={"occupancy": "people"},
        fetchTo="DATA",
    )
    (emit,) = await latest.on_msg(node_env.msg({"t": 1}, device))
    assert orjson.loads(emit.msg.data) == {"t": 1, "people": 3}
    fields = node_env.build(
        GetRelatedAttributeNode,
        1,
        relationsQuery=QUERY,
        dataToFetch="FIELDS",
        dataMapping={"name": "roomName", "type": "roomType"},
    )
    (emit,) = await fields.on_msg(node_env.msg({}, device))
    assert (emit.msg.metadata["roomName"], emit.msg.metadata["roomType"]) == ("Room 1", "room")
    lonely = await node_env.device("lonely")
    with pytest.raises(NodeFailure, match="Failed to find related entity"):
        await attributes.on_msg(node_env.msg({}, lonely))


async def test_customer_and_tenant_data_and_legacy_configuration(node_env: NodeEnv) -> None:
    tenant = node_env.tenant_id
    telemetry = node_env.base.core.telemetry
    customer = await node_env.customer("Acme")
    await telemetry.save_attributes(
        tenant, customer.id, AttributeScope.SERVER_SCOPE, [KvEntry("limit", 7, DataType.LONG)]
    )
    await telemetry.save_attributes(
        tenant, tenant, AttributeScope.SERVER_SCOPE, [KvEntry("region", "eu", DataType.STRING)]
    )
    device = EntityRef(EntityType.DEVICE, (await node_env.device("d")).id)
    legacy = node_env.build(
        GetCustomerAttributeNode, 0, attrMapping={"limit": "customerLimit"}, telemetry=False
    )
    (emit,) = await legacy.on_msg(node_env.msg({}, device, customer_id=customer.id))
    assert emit.msg.metadata["customerLimit"] == "7"
    with pytest.raises(NodeFailure, match="not assigned to a customer"):
        await legacy.on_msg(node_env.msg({}, device))
    tenant_node = node_env.build(
        GetTenantAttributeNode, 1, dataToFetch="ATTRIBUTES", dataMapping={"region": "region"}
    )
    (emit,) = await tenant_node.on_msg(node_env.msg({}, device))
    assert emit.msg.metadata["region"] == "eu"


async def test_related_device_attributes(node_env: NodeEnv) -> None:
    from industryos.rules.nodes.mapped import GetDeviceAttrNode

    tenant = node_env.tenant_id
    telemetry = node_env.base.core.telemetry
    line = await node_env.asset("Line 1", "line")
    sensor = await node_env.device("vibration", profile="sensor")
    other = await node_env.device("camera", profile="camera")
    for device in (other, sensor):
        await node_env.relations.create(tenant, line, device, "Contains")
    await telemetry.save_attributes(
        tenant, sensor.id, AttributeScope.CLIENT_SCOPE, [KvEntry("fw", "2.1", DataType.STRING)]
    )
    await telemetry.save_timeseries(tenant, sensor.id, [TsKvEntry(5, "rms", 0.4, DataType.DOUBLE)])
    node = node_env.build(
        GetDeviceAttrNode,
        1,
        deviceRelationsQuery={
            "direction": "FROM",
            "maxLevel": 1,
            "relationType": "Contains",
            "deviceTypes": ["sensor"],
        },
        clientAttributeNames=["fw"],
        latestTsKeyNames=["rms"],
        fetchTo="METADATA",
    )
    (emit,) = await node.on_msg(node_env.msg({}, line))
    assert (emit.msg.metadata["cs_fw"], emit.msg.metadata["rms"]) == ("2.1", "0.4")
    assert emit.msg.originator == line
    with pytest.raises(NodeFailure, match="related device"):
        await node.on_msg(node_env.msg({}, sensor))
