"""Build the core services over a test database, with a tenant admin to act as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.config import load_settings
from industryos.entities.access import Caller
from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority, Device, Tenant, User
from industryos.entities.models.device_profile import DeviceProfile, default_profile_data
from industryos.node import Core, build_core
from industryos.storage.database import Database
from tests.support.recording import RecordingPublisher


@dataclass
class CoreWithTenant:
    """Core services, the recorded rule-engine input, and a tenant admin caller."""

    core: Core
    publisher: RecordingPublisher
    admin: Caller

    async def close(self) -> None:
        """Stop the core's background work (the time-series writer is flushed)."""
        await self.core.stop()

    async def device_with_alarms(self, alarms: list[dict[str, Any]]) -> uuid.UUID:
        """A new device whose own new profile has these ``profileData.alarms``."""
        data = default_profile_data()
        data["alarms"] = alarms
        profile = await self.core.device_profiles.save(
            self.admin, DeviceProfile(name=f"p-{uuid.uuid4().hex[:8]}", profile_data=data)
        )
        device = await self.core.devices.save(
            self.admin, Device(name=f"d-{uuid.uuid4().hex[:8]}", device_profile_id=profile.id)
        )
        assert device.id is not None
        return device.id


async def core_with_tenant(engine: AsyncEngine, data_dir: Path) -> CoreWithTenant:
    """A fresh tenant on ``engine`` and its admin as a :class:`Caller`."""
    settings = load_settings(data_dir=data_dir, jwt_secret="t" * 64, demo=False)
    publisher = RecordingPublisher()
    core = build_core(Database(engine), settings, publisher)
    await core.start()
    sysadmin = await core.users.create(
        User(email="root@test.local", authority=Authority.SYS_ADMIN), "sysadmin"
    )
    assert sysadmin.id is not None
    as_sysadmin = Caller(sysadmin.id, sysadmin.email, Authority.SYS_ADMIN)
    tenant = await core.tenants.save(as_sysadmin, Tenant(title="T"))
    assert tenant.id is not None
    admin = await core.users.create(
        User(email="admin@test.local", authority=Authority.TENANT_ADMIN, tenant_id=tenant.id),
        "password",
    )
    assert admin.id is not None
    caller = Caller(admin.id, admin.email, Authority.TENANT_ADMIN, tenant.id, NULL_UUID)
    return CoreWithTenant(core, publisher, caller)
