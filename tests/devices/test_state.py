"""Device state: in-memory tracking, flushed as SERVER_SCOPE attributes in batches."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.state import DeviceStateTracker
from industryos.telemetry.kv import AttributeScope
from tests.support.core import core_with_tenant


async def test_connect_activity_disconnect_are_flushed_once(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    telemetry = setup.core.telemetry
    try:
        tracker = DeviceStateTracker(telemetry, flush_interval=3600)
        tenant = setup.admin.tenant_id
        device = uuid.uuid4()
        tracker.connected(device, tenant)
        for _ in range(1000):
            tracker.activity(device, tenant)
        assert await telemetry.get_attributes(tenant, device) == {}  # nothing written yet
        assert await tracker.flush() == 1
        stored = await telemetry.get_attributes(tenant, device, AttributeScope.SERVER_SCOPE)
        values = {e.key: e.value for e in stored[AttributeScope.SERVER_SCOPE]}
        assert values["active"] is True
        assert values["lastConnectTime"] > 0 and values["lastActivityTime"] > 0
        assert values["lastDisconnectTime"] == 0
        assert await tracker.flush() == 0  # unchanged state is not written again
        tracker.disconnected(device, tenant)
        await tracker.stop()  # the last flush happens at stop
        stored = await telemetry.get_attributes(tenant, device, AttributeScope.SERVER_SCOPE)
        values = {e.key: e.value for e in stored[AttributeScope.SERVER_SCOPE]}
        assert values["active"] is False and values["lastDisconnectTime"] > 0
    finally:
        await setup.close()


async def test_sessionless_activity_expires(engine: AsyncEngine, tmp_path: Path) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    tracker = DeviceStateTracker(setup.core.telemetry, inactivity_timeout=0)
    device, tenant = uuid.uuid4(), setup.admin.tenant_id
    try:
        tracker.activity(device, tenant)
        await tracker.flush()
        state = tracker.state(device)
        assert state is not None and state.active is False  # HTTP-style activity timed out
    finally:
        await setup.close()
