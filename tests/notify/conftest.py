"""A notification center over a fresh database (both engines) with one tenant's users."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import NULL_UUID, now_ms
from industryos.entities.models import Tenant, TenantProfile
from industryos.notify import RetryPolicy
from industryos.notify.catalog import TARGETS, TEMPLATES
from industryos.notify.center import NotificationCenter, SendSpec
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories


@dataclass
class Fixture:
    """The center, a tenant and its administrator (with a phone number)."""

    center: NotificationCenter
    tenant_id: uuid.UUID
    admin_id: uuid.UUID
    admin_email: str = "admin@tenant.test"
    admin_phone: str = "+15550001111"

    async def send(
        self, target: dict[str, Any], methods: dict[str, Any], context: dict[str, str]
    ) -> uuid.UUID:
        """Store a target and an inline template, send, wait; returns the request id."""
        saved = await self.center.catalog.save(
            TARGETS, self.tenant_id, {"name": "t", "configuration": target}
        )
        template = {
            "name": "tpl",
            "notificationType": "GENERAL",
            "configuration": {"deliveryMethodsTemplates": methods},
        }
        request = await self.center.send(
            SendSpec(
                tenant_id=self.tenant_id,
                target_ids=[uuid.UUID(saved["id"]["id"])],
                template=template,
                context=context,
            )
        )
        await self.center.wait_idle()
        return uuid.UUID(request["id"]["id"])

    async def deliveries(self, request_id: uuid.UUID) -> list[dict[str, Any]]:
        """The delivery log of a request."""
        return await self.center.deliveries.of_request(self.tenant_id, request_id)


ADMINS = {"type": "PLATFORM_USERS", "usersFilter": {"type": "TENANT_ADMINISTRATORS"}}


async def limit_tenant(engine: AsyncEngine, tenant_id: uuid.UUID, **limits: int) -> None:
    """Store tenant ``tenant_id`` on a profile with ``limits`` (e.g. ``maxEmails=2``)."""
    repos = Repositories.create()
    async with Database(engine).transaction() as conn:
        profile = await repos.tenant_profiles.insert(
            conn,
            TenantProfile(
                name="Few messages", profile_data={"configuration": {"type": "DEFAULT", **limits}}
            ),
        )
        await repos.tenants.insert(
            conn, Tenant(id=tenant_id, title="T", tenant_profile_id=profile.id)
        )


@pytest.fixture
async def notify(engine: AsyncEngine) -> AsyncIterator[Fixture]:
    db = Database(engine)
    center = NotificationCenter(db, retry=RetryPolicy(attempts=3, base_delay_s=0.01))
    tenant_id, admin_id = uuid.uuid4(), uuid.uuid4()
    fixture = Fixture(center, tenant_id, admin_id)
    async with db.transaction() as conn:
        await conn.execute(
            schema.user.insert().values(
                id=admin_id,
                created_time=now_ms(),
                tenant_id=tenant_id,
                customer_id=NULL_UUID,
                email=fixture.admin_email,
                authority="TENANT_ADMIN",
                first_name="Ada",
                phone=fixture.admin_phone,
            )
        )
    yield fixture
    await center.stop()


__all__ = ["ADMINS", "TEMPLATES", "Fixture", "limit_tenant"]
