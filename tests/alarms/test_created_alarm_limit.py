"""``maxCreatedAlarms``: alarms created this month are capped per tenant, on both engines.

Updating the active alarm of an originator and type is no creation and goes on working;
alarms created before this month do not count; another tenant is not limited.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.alarms.enums import AlarmSeverity
from industryos.alarms.model import Alarm
from industryos.entities.access import Caller
from industryos.entities.errors import ApiUsageLimitExceeded
from industryos.entities.ids import EntityType
from industryos.entities.models import Authority, Device, Tenant, TenantProfile
from industryos.entities.tenant_limits import month_start_ms
from industryos.msg import EntityRef
from tests.support.core import core_with_tenant

SYSADMIN = Caller(uuid.uuid4(), "root@test.local", Authority.SYS_ADMIN)


async def test_created_alarms_are_capped_per_month_and_tenant(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core, tenant_id = setup.core, setup.admin.tenant_id
    try:
        profile = await core.tenant_profiles.save(
            SYSADMIN,
            TenantProfile(
                name="Few alarms",
                profile_data={"configuration": {"type": "DEFAULT", "maxCreatedAlarms": 2}},
            ),
        )
        tenant = await core.tenants.get(SYSADMIN, tenant_id)
        await core.tenants.save(
            SYSADMIN, tenant.model_copy(update={"tenant_profile_id": profile.id})
        )
        device = await core.devices.save(setup.admin, Device(name="boiler"))
        assert device.id is not None
        origin = EntityRef(EntityType.DEVICE, device.id)

        def alarm(kind: str, tenant: uuid.UUID = tenant_id, **extra: object) -> Alarm:
            return Alarm(tenant, origin, kind, AlarmSeverity.MAJOR, **extra)  # type: ignore[arg-type]

        old = await core.alarms.service.raise_alarm(
            alarm("last month", created_time=month_start_ms() - 1)
        )
        assert old.created
        assert (await core.alarms.service.raise_alarm(alarm("heat"))).created
        assert (await core.alarms.service.raise_alarm(alarm("smoke"))).created
        with pytest.raises(ApiUsageLimitExceeded, match=r"^Alarms creation is disabled$"):
            await core.alarms.service.raise_alarm(alarm("flood"))
        updated = await core.alarms.service.raise_alarm(
            alarm("heat").with_changes(severity=AlarmSeverity.CRITICAL)
        )
        assert not updated.created and updated.severity_changed

        other = await core.tenants.save(SYSADMIN, Tenant(title="Other"))
        assert other.id is not None
        for kind in ("a", "b", "c"):
            assert (await core.alarms.service.raise_alarm(alarm(kind, other.id))).created
    finally:
        await setup.close()
