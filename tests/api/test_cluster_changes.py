"""Caches stay true across two real nodes (one PostgreSQL database, the real NATS bus): a
change made through node A's REST API reaches what node B cached.

* credentials changed on A: B, which had authenticated the old token, refuses it and takes
  the new one;
* the root chain changed on A: B, which had compiled the old root chain, runs the new one;
* a device profile's alarm rule changed on A: B, whose device profile node held the device
  with the old rule, evaluates the new one;
* a child renamed or deleted on A is announced to its gateway connected to B;
* a tenant profile's limit lowered on A is enforced on B at once.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from industryos.entities.access import Caller
from industryos.entities.models import Authority, User
from tests.conftest import DatabaseFactory
from tests.support.cluster import Cluster, running_cluster, tenant_admin_client
from tests.support.paho import close_paho
from tests.transport.mqtt.gateway.gatewayclient import GatewayClient


@pytest.fixture(scope="module")
def cluster(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two nodes in cluster mode; node A made the tenant the tests act in."""
    with running_cluster(database_factory, tmp_path_factory) as nodes:
        yield nodes


@pytest.fixture
async def on_a(cluster: Cluster) -> AsyncIterator[httpx.AsyncClient]:
    """The tenant admin's REST client on node A."""
    async with tenant_admin_client(cluster.a) as client:
        yield client


def _connack(port: int, token: str, publish: tuple[str, bytes] | None = None) -> int:
    """The CONNACK code a paho device with ``token`` gets (after one QoS 1 publish if
    accepted and ``publish`` is given)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, reconnect_on_failure=False)
    client.username_pw_set(token)
    answered = threading.Event()
    published = threading.Event()
    codes: list[int] = []

    def on_connect(client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        codes.append(int(reason.value))
        answered.set()

    client.on_connect = on_connect
    client.on_publish = lambda *args: published.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        assert answered.wait(15), "no CONNACK"
        if codes[0] == 0 and publish is not None:
            client.publish(publish[0], publish[1], qos=1)
            assert published.wait(15), "no PUBACK"
        return codes[0]
    finally:
        close_paho(client)


async def _eventually(check: Callable[[], bool]) -> None:
    """``check`` (blocking) turns true within 15 s."""
    deadline = time.monotonic() + 15
    for _ in range(1000):
        if await asyncio.to_thread(check):
            return
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    raise AssertionError("node B kept its stale cache")


async def test_credentials_changed_on_a_are_refused_on_b(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    old = uuid.uuid4().hex
    device = cluster.a.create_device(f"c-{old[:8]}", token=old)
    b_port = cluster.b.mqtt_port
    assert await asyncio.to_thread(_connack, b_port, old) == 0  # B now caches the identity
    credentials = (await on_a.get(f"/api/device/{device.id}/credentials")).json()
    new = uuid.uuid4().hex
    saved = await on_a.post("/api/device/credentials", json={**credentials, "credentialsId": new})
    assert saved.status_code == 200, saved.text
    await _eventually(lambda: _connack(b_port, old) != 0)
    assert await asyncio.to_thread(_connack, b_port, new) == 0


async def test_a_root_chain_set_on_a_runs_on_b(cluster: Cluster, on_a: httpx.AsyncClient) -> None:
    """B stores telemetry through the default root chain; once A makes an empty chain the
    root, B's messages are consumed and no longer stored."""
    token = uuid.uuid4().hex
    device = cluster.a.create_device(f"r-{token[:8]}", token=token)
    b = cluster.b
    topic = "v1/devices/me/telemetry"

    def stored(key: str) -> bool:
        return key in b.latest(device)

    def consumed() -> bool:
        assert b.node.rules is not None
        return b.node.rules.lag("Main") == 0

    assert await asyncio.to_thread(_connack, b.mqtt_port, token, (topic, b'{"before": 1}')) == 0
    # B compiled and ran the default root chain
    await asyncio.to_thread(b.wait_for, lambda: stored("before"))
    chains = await on_a.get("/api/ruleChains", params={"pageSize": 100, "page": 0})
    [root] = [chain for chain in chains.json()["data"] if chain["root"]]
    empty = await on_a.post("/api/ruleChain", json={"name": "nothing"})
    assert empty.status_code == 200, empty.text
    rooted = await on_a.post(f"/api/ruleChain/{empty.json()['id']['id']}/root")
    assert rooted.status_code == 200, rooted.text

    def new_root_ran() -> bool:
        key = f"probe_{uuid.uuid4().hex[:8]}"
        payload = f'{{"{key}": 1}}'.encode()
        assert _connack(b.mqtt_port, token, (topic, payload)) == 0
        b.wait_for(lambda: b.call(consumed))
        return not stored(key)

    try:
        await _eventually(new_root_ran)
    finally:  # the other tests of this cluster run the default root chain
        restored = await on_a.post(f"/api/ruleChain/{root['id']['id']}/root")
        assert restored.status_code == 200, restored.text


def _heat_rule(threshold: int) -> dict[str, Any]:
    """An alarm rule: CRITICAL ``Heat`` while ``temperature`` > ``threshold``."""
    condition = {
        "key": {"type": "TIME_SERIES", "key": "temperature"},
        "valueType": "NUMERIC",
        "predicate": {
            "type": "NUMERIC",
            "operation": "GREATER",
            "value": {"defaultValue": threshold},
        },
    }
    return {
        "id": "heat",
        "alarmType": "Heat",
        "createRules": {"CRITICAL": {"condition": {"condition": [condition]}}},
    }


async def _heat_profile(client: httpx.AsyncClient, threshold: int) -> dict[str, Any]:
    """A new device profile whose one alarm rule is ``temperature`` > ``threshold``."""
    profile_data = {
        "configuration": {"type": "DEFAULT"},
        "transportConfiguration": {"type": "DEFAULT"},
        "alarms": [_heat_rule(threshold)],
    }
    profile = await client.post(
        "/api/deviceProfile",
        json={
            "name": f"heat-{threshold}-{uuid.uuid4().hex[:8]}",
            "type": "DEFAULT",
            "transportType": "DEFAULT",
            "profileData": profile_data,
        },
    )
    assert profile.status_code == 200, profile.text
    saved: dict[str, Any] = profile.json()
    return saved


@pytest.mark.parametrize("change", ["profile edited", "device moved to another profile"])
async def test_alarm_rules_changed_on_a_are_evaluated_on_b(
    cluster: Cluster, on_a: httpx.AsyncClient, change: str
) -> None:
    """Each node's rule engine consumes its own devices' uplinks: B's device profile node
    holds the device's rules after its first message, and must drop them when A saves the
    profile, or moves the device to a profile with other rules."""
    profile = await _heat_profile(on_a, 50)
    name = f"heat-{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4().hex
    device = await on_a.post(
        f"/api/device?accessToken={token}",
        json={"name": name, "deviceProfileId": profile["id"]},
    )
    assert device.status_code == 200, device.text
    device_id = device.json()["id"]["id"]
    b = cluster.b
    topic = "v1/devices/me/telemetry"

    async def alarms() -> list[Any]:
        found = await on_a.get(f"/api/alarm/DEVICE/{device_id}", params={"pageSize": 10, "page": 0})
        assert found.status_code == 200, found.text
        return list(found.json()["data"])

    def consumed() -> bool:
        assert b.node.rules is not None
        return b.node.rules.lag("Main") == 0

    async def stored_through_b() -> bool:
        """One 40 through B, stored by its root chain (whose device profile node ran)."""
        sent = await asyncio.to_thread(
            _connack, b.mqtt_port, token, (topic, b'{"temperature": 40}')
        )
        assert sent == 0
        await asyncio.to_thread(b.wait_for, lambda: b.call(consumed))
        url = f"/api/plugins/telemetry/DEVICE/{device_id}/values/timeseries"
        return "temperature" in (await on_a.get(url)).json()

    for _ in range(50):  # B may still be switching back from another test's root chain
        if await stored_through_b():
            break
        await asyncio.sleep(0.2)
    assert await alarms() == []  # 40 is under 50: B holds the device with the old rule
    if change == "profile edited":
        data = {**profile["profileData"], "alarms": [_heat_rule(30)]}
        saved = await on_a.post("/api/deviceProfile", json={**profile, "profileData": data})
    else:
        other = await _heat_profile(on_a, 30)
        saved = await on_a.post(
            "/api/device", json={**device.json(), "deviceProfileId": other["id"]}
        )
    assert saved.status_code == 200, saved.text

    for _ in range(50):  # each try: one more 41 through B, then look for the alarm
        sent = await asyncio.to_thread(
            _connack, b.mqtt_port, token, (topic, b'{"temperature": 41}')
        )
        assert sent == 0
        await asyncio.to_thread(b.wait_for, lambda: b.call(consumed))
        if await alarms():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("node B kept evaluating the old alarm rule")


async def test_a_child_renamed_and_deleted_on_a_is_announced_to_its_gateway_on_b(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    """A gateway connected to B hears ``gateway_device_renamed`` and then
    ``gateway_device_deleted`` about a child changed through A's REST API."""
    b = cluster.b
    token = f"gw-{uuid.uuid4().hex[:12]}"
    cluster.a.create_device(f"Gateway {token}", token=token, gateway=True)
    client = GatewayClient(b.mqtt_port, token)
    client.start()
    try:
        old, new = f"old-{uuid.uuid4().hex[:8]}", f"new-{uuid.uuid4().hex[:8]}"
        assert await asyncio.to_thread(client.publish, "v1/gateway/connect", {"device": old}) == 0
        found = await on_a.get("/api/tenant/devices", params={"deviceName": old})
        assert found.status_code == 200, found.text
        child = found.json()
        renamed = await on_a.post("/api/device", json={**child, "name": new})
        assert renamed.status_code == 200, renamed.text
        request = await asyncio.to_thread(client.next_message_prefix, "v1/devices/me/rpc/request/")
        assert request == {"method": "gateway_device_renamed", "params": {old: new}}
        deleted = await on_a.delete(f"/api/device/{child['id']['id']}")
        assert deleted.status_code == 200, deleted.text
        request = await asyncio.to_thread(client.next_message_prefix, "v1/devices/me/rpc/request/")
        assert request == {"method": "gateway_device_deleted", "params": new}
    finally:
        client.close()


async def test_tenant_limits_lowered_on_a_are_enforced_on_b(
    cluster: Cluster, on_a: httpx.AsyncClient
) -> None:
    """B, which had read the tenant's unlimited profile, refuses a device past the
    ``maxDevices`` the sysadmin just set on A (without the relay: up to 60 s later)."""
    a = cluster.a
    core = a.core
    assert a.admin is not None and a.admin.tenant_id is not None
    sysadmin = a.run(
        core.users.create(
            User(email=f"root-{uuid.uuid4().hex[:6]}@test.local", authority=Authority.SYS_ADMIN),
            "sysadmin",
        )
    )
    root = Caller(sysadmin.id, sysadmin.email, Authority.SYS_ADMIN)
    tenant = a.run(core.tenants.get(root, a.admin.tenant_id))
    profile = a.run(core.tenant_profiles.get(root, tenant.tenant_profile_id))
    async with tenant_admin_client(cluster.b) as on_b:
        first = await on_b.post("/api/device", json={"name": f"l-{uuid.uuid4().hex[:8]}"})
        assert first.status_code == 200, first.text  # B now caches the tenant's limits
        page = await on_a.get("/api/tenant/devices", params={"pageSize": 1, "page": 0})
        count = page.json()["totalElements"]
        configuration = {**profile.profile_data["configuration"], "maxDevices": count}
        lowered = profile.model_copy(
            update={"profile_data": {**profile.profile_data, "configuration": configuration}}
        )
        saved = a.run(core.tenant_profiles.save(root, lowered))
        try:
            deadline = time.monotonic() + 15
            while True:
                made = await on_b.post("/api/device", json={"name": f"l-{uuid.uuid4().hex[:8]}"})
                if made.status_code == 403:
                    assert made.json()["message"] == "Devices limit reached"
                    break
                assert made.status_code == 200, made.text
                assert time.monotonic() < deadline, "B kept the old limits"
                await asyncio.sleep(0.2)
        finally:
            a.run(
                core.tenant_profiles.save(
                    root, profile.model_copy(update={"version": saved.version})
                )
            )
