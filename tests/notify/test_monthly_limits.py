"""``maxSms`` / ``maxEmails``: past the tenant profile's monthly count, deliveries are SKIPPED.

Only SENT deliveries of the method this month count; other methods go on; the limit is read
from the tenant's profile through the shared :class:`TenantLimitsService`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.notify.enums import SettingsKey
from tests.notify.conftest import ADMINS, Fixture, limit_tenant
from tests.notify.recorder import recording_server

SMS = {"SMS": {"method": "SMS", "body": "${alarmType}"}}
WEB = {"WEB": {"method": "WEB", "subject": "s", "body": "${alarmType}"}}


async def test_sms_past_max_sms_are_skipped(engine: AsyncEngine, notify: Fixture) -> None:
    await limit_tenant(engine, notify.tenant_id, maxSms=2)
    async with recording_server((200, b"{}")) as gateway:
        settings = {"type": "HTTP", "url": gateway.url + "/send", "bodyTemplate": "${message}"}
        await notify.center.settings.save(notify.tenant_id, SettingsKey.SMS, settings)
        sent = [await notify.send(ADMINS, SMS, {"alarmType": str(n)}) for n in range(3)]
        web = await notify.send(ADMINS, WEB, {"alarmType": "web"})
    assert len(gateway.requests) == 2
    statuses = [[(d["status"], d["error"]) for d in await notify.deliveries(r)] for r in sent]
    assert statuses == [
        [("SENT", None)],
        [("SENT", None)],
        [("SKIPPED", "SMS sending is disabled due to API limits!")],
    ]
    [web_log] = await notify.deliveries(web)
    assert web_log["status"] == "SENT"
