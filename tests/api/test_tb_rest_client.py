"""The real ``tb-rest-client`` 4.4 from PyPI, unchanged, against a loopback HTTP server (§3.11).

The server runs in the test's event loop (``HttpServer`` on port 0, the node's own listener);
the synchronous client runs in a worker thread through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
from tb_rest_client.models import Customer, Device, EntityId, EntityRelation
from tb_rest_client.rest_client import RestClient

from industryos.api.server import HttpServer
from industryos.entities.models import Authority, User
from tests.api.conftest import Platform

T = TypeVar("T")

ADMIN_PASSWORD = "client-pw-1"


@dataclass
class Served:
    """A logged-in client against the platform's app on a real socket."""

    client: RestClient
    email: str

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one blocking client call off the loop, so the server keeps serving."""
        return await asyncio.to_thread(fn, *args, **kwargs)


@pytest.fixture
async def served(platform: Platform) -> AsyncIterator[Served]:
    writer = platform.core.timeseries.writer  # running as in a node; `platform` leaves it off
    await writer.start()
    server = HttpServer(platform.app, "127.0.0.1", 0)
    await server.start()
    client = RestClient(f"http://127.0.0.1:{server.port}")
    try:
        sysadmin = await platform.sysadmin()
        tenant = (await sysadmin.post("/api/tenant", json={"title": "Client Tenant"})).json()
        email = f"client-{uuid.uuid4().hex[:8]}@tenant.test"
        await platform.core.users.create(
            User(
                email=email,
                authority=Authority.TENANT_ADMIN,
                tenant_id=uuid.UUID(tenant["id"]["id"]),
            ),
            ADMIN_PASSWORD,
        )
        served = Served(client, email)
        await served.call(client.login, email, ADMIN_PASSWORD)
        yield served
    finally:
        if client.api_client is not None:
            client.api_client.rest_client.pool_manager.clear()  # close keep-alive sockets first
        await server.stop()
        await writer.stop()


async def _new_device(served: Served, name: str) -> Device:
    return await served.call(served.client.save_device, Device(name=name, type="sensor"))


async def test_login_lists_devices_and_reads_credentials(served: Served) -> None:
    client = served.client
    page = await served.call(client.get_tenant_devices, 10, 0)
    assert page.data == []
    assert page.total_elements == 0
    device = await _new_device(served, "Client Device")
    assert device.id.entity_type == "DEVICE"
    assert device.type == "sensor"
    page = await served.call(client.get_tenant_devices, 10, 0)
    assert [d.name for d in page.data] == ["Client Device"]
    assert page.has_next is False
    creds = await served.call(client.get_device_credentials_by_device_id, device.id)
    assert creds.credentials_type == "ACCESS_TOKEN"
    assert len(creds.credentials_id) == 20


async def test_relations_through_the_client(served: Served) -> None:
    client = served.client
    hub, leaf = await _new_device(served, "Hub"), await _new_device(served, "Leaf")
    hub_ref = EntityId(id=hub.id.id, entity_type="DEVICE")
    leaf_ref = EntityId(id=leaf.id.id, entity_type="DEVICE")
    saved = await served.call(
        client.save_relation,
        EntityRelation(_from=hub_ref, to=leaf_ref, type="Contains", type_group="COMMON"),
    )
    assert saved.type_group == "COMMON"
    assert saved.to.id == leaf.id.id
    found = await served.call(client.find_by_from, hub_ref, "Contains")
    assert [r.to.id for r in found] == [leaf.id.id]
    found_any = await served.call(client.find_by_from_v1, hub_ref, "DEVICE")
    assert len(found_any) == 1
    infos = await served.call(client.find_info_by_to, leaf_ref, "DEVICE")
    assert [(i.from_name, i.to_name) for i in infos] == [("Hub", "Leaf")]
    one = await served.call(client.get_relation, hub_ref, "Contains", leaf_ref)
    assert one.type == "Contains"
    deleted = await served.call(client.delete_relation, hub_ref, "Contains", leaf_ref)
    assert deleted.type == "Contains"
    assert await served.call(client.find_by_from, hub_ref, "Contains") == []


async def test_customer_assignment_and_token_refresh(served: Served) -> None:
    client = served.client
    device = await _new_device(served, "Assigned")
    customer = await served.call(client.save_customer, Customer(title="Client Customer"))
    assert customer.title == "Client Customer"
    # The classic CE path, through the client's own generic call_api (4.4's
    # assign_device_to_customer uses the owner API, tested below).
    await served.call(
        client.api_client.call_api,
        "/api/customer/{customerId}/device/{deviceId}",
        "POST",
        path_params={"customerId": customer.id.id, "deviceId": device.id.id},
        header_params={"Accept": "application/json"},
        auth_settings=["ApiKeyForm"],
        response_type="Device",
        _return_http_data_only=True,
    )
    stored = await served.call(client.get_device_by_id, device.id)
    assert stored.customer_id.id == customer.id.id

    old_refresh = client.token_info["refreshToken"]
    await served.call(client.refresh)
    assert client.token_info["refreshToken"] != old_refresh  # a new pair (fresh jti)
    assert client.get_token()
    page = await served.call(client.get_tenant_devices, 10, 0)
    assert page.total_elements == 1


async def test_client_assign_device_to_customer_uses_owner_api(served: Served) -> None:
    client = served.client
    device = await _new_device(served, "Owner API")
    customer = await served.call(client.save_customer, Customer(title="Owner Customer"))
    assigned = await served.call(client.assign_device_to_customer, customer.id, device.id)
    assert assigned.customer_id.id == customer.id.id
    back = await served.call(client.unassign_device_from_customer, device.id)
    assert back.customer_id.id == "13814000-1dd2-11b2-8080-808080808080"


async def test_telemetry_and_attributes_through_the_client(served: Served) -> None:
    client = served.client
    device = await _new_device(served, "Telemetry Device")
    ref = EntityId(id=device.id.id, entity_type="DEVICE")
    points = [{"ts": ts, "values": {"temperature": value}} for ts, value in ((0, 20), (30_000, 22))]
    await served.call(client.save_entity_telemetry, ref, "ANY", points)
    latest = await served.call(client.get_latest_timeseries, ref, "temperature")
    assert latest["temperature"][0].ts == 30_000
    assert latest["temperature"][0].value == "22"
    averaged = await served.call(
        client.get_timeseries, ref, 0, 60_000, "temperature", agg="AVG", interval=60_000
    )
    assert [(p.ts, float(p.value)) for p in averaged["temperature"]] == [(30_000, 21.0)]

    await served.call(client.save_device_attributes, device.id, "SERVER_SCOPE", {"floor": 3})
    await served.call(client.save_entity_attributes_v2, ref, "SHARED_SCOPE", {"target": 21.5})
    server = await served.call(client.get_attributes_by_scope, ref, "SERVER_SCOPE", "floor")
    assert [(a.key, a.value) for a in server] == [("floor", 3)]
    shared = await served.call(client.get_attributes_by_scope, ref, "SHARED_SCOPE")
    assert [(a.key, a.value) for a in shared] == [("target", 21.5)]
    assert sorted(await served.call(client.get_attribute_keys, ref)) == ["floor", "target"]
