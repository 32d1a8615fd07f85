"""The active alarm of originators and types: one at a time and many at once agree."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.alarms.enums import AlarmSeverity
from industryos.alarms.model import Alarm
from industryos.entities.ids import EntityType, now_ms
from industryos.msg import EntityRef
from tests.support.core import core_with_tenant


async def test_active_alarms_of_many_originators(engine: AsyncEngine, tmp_path: Path) -> None:
    """Uncleared alarms only, of the asked types and tenant, keyed by (originator, type);
    more originators than one ``IN`` list holds."""
    setup = await core_with_tenant(engine, tmp_path)
    service, tenant_id = setup.core.alarms.service, setup.admin.tenant_id
    try:
        originators = [uuid.uuid4() for _ in range(600)]

        def alarm(originator: uuid.UUID, kind: str) -> Alarm:
            ref = EntityRef(EntityType.DEVICE, originator)
            return Alarm(tenant_id, ref, kind, AlarmSeverity.MAJOR)

        heat = {o: await service.raise_alarm(alarm(o, "Heat")) for o in originators[::100]}
        cleared = (await service.raise_alarm(alarm(originators[1], "Heat"))).alarm
        assert cleared.id is not None
        await service.clear_alarm(tenant_id, cleared.id, now_ms())
        smoke = (await service.raise_alarm(alarm(originators[-1], "Smoke"))).alarm
        await service.raise_alarm(alarm(originators[2], "Flood"))  # a type not asked for

        found = await service.find_active_many(tenant_id, originators, {"Heat", "Smoke"})
        assert found == {
            **{(o, "Heat"): change.alarm for o, change in heat.items()},
            (originators[-1], "Smoke"): smoke,
        }
        for (originator, kind), active in found.items():
            assert await service.find_active(tenant_id, originator, kind) == active
        assert await service.find_active_many(uuid.uuid4(), originators, {"Heat"}) == {}
        assert await service.find_active_many(tenant_id, originators, set()) == {}
    finally:
        await setup.close()
