"""The notification center's HTTP client: made on first HTTP send only, closed on stop."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.notify.center import NotificationCenter
from industryos.storage.database import Database
from tests.notify.conftest import ADMINS, Fixture
from tests.notify.recorder import recording_server

HOOK = {"WEBHOOK": {"method": "WEBHOOK", "subject": "s", "body": "b"}}
WEB = {"WEB": {"method": "WEB", "subject": "s", "body": "b"}}


async def test_no_client_until_an_http_send(notify: Fixture) -> None:
    await notify.send(ADMINS, WEB, {})
    assert notify.center._http is None  # web and mail never need it
    async with recording_server((204, b"")) as hook:
        request_id = await notify.send({"type": "WEBHOOK", "url": hook.url + "/h"}, HOOK, {})
    assert len(hook.requests) == 1
    [log] = await notify.deliveries(request_id)
    assert log["status"] == "SENT"
    client = notify.center._http
    assert client is not None and client is notify.center.http  # one shared client


async def test_stop_closes_the_client_it_made(engine: AsyncEngine) -> None:
    center = NotificationCenter(Database(engine))
    client = center.http
    assert not client.is_closed
    await center.stop()
    assert client.is_closed


async def test_stop_without_a_client_makes_none(engine: AsyncEngine) -> None:
    center = NotificationCenter(Database(engine))
    await center.stop()
    assert center._http is None
