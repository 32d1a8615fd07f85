"""A gateway's new child past the tenant profile's ``maxDevices`` is refused, not fatal.

The gateway gets PUBACK 0x97 (quota exceeded) and keeps its MQTT 5 session; children that
exist go on working. A module of its own: the tenant's profile is changed for good.
"""

from __future__ import annotations

import uuid

from industryos.entities.access import Caller
from industryos.entities.models import Authority, TenantProfile
from tests.transport.mqtt.device.livenode import LiveNode
from tests.transport.mqtt.gateway.conftest import GatewayFactory


def _limit_devices(live: LiveNode, max_devices: int) -> None:
    """Move the module's tenant onto a profile allowing ``max_devices`` devices."""

    async def apply() -> None:
        core = live.core
        root = Caller(uuid.uuid4(), "root@test.local", Authority.SYS_ADMIN)
        profile = await core.tenant_profiles.save(
            root,
            TenantProfile(
                name=f"limit-{uuid.uuid4().hex[:6]}",
                profile_data={"configuration": {"type": "DEFAULT", "maxDevices": max_devices}},
            ),
        )
        assert live.admin is not None
        tenant = await core.tenants.get(root, live.admin.tenant_id)
        await core.tenants.save(root, tenant.model_copy(update={"tenant_profile_id": profile.id}))

    live.run(apply())


def test_new_child_past_max_devices_gets_quota_exceeded(
    live: LiveNode, gateway: GatewayFactory
) -> None:
    _, client = gateway()
    known = f"meter-{uuid.uuid4().hex[:8]}"
    assert client.publish("v1/gateway/telemetry", {known: [{"v": 1}]}) == 0
    _limit_devices(live, max_devices=2)  # the gateway and its one child

    refused = client.publish("v1/gateway/telemetry", {f"new-{known}": [{"v": 1}]})

    assert refused == 0x97
    assert client.publish("v1/gateway/telemetry", {known: [{"v": 2}]}) == 0
