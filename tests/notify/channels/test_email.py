"""EMAIL: an aiosmtpd server receives the rendered message with the settings' sender."""

from __future__ import annotations

from typing import cast

from industryos.notify.enums import SettingsKey
from tests.notify.conftest import ADMINS, Fixture
from tests.notify.smtp import smtp_server

EMAIL = {
    "EMAIL": {
        "method": "EMAIL",
        "subject": "Alarm: ${alarmType}",
        "body": "Hello ${recipientFirstName}, ${alarmOriginatorName} is ${alarmSeverity}.",
    }
}
CONTEXT = {"alarmType": "Overheat", "alarmOriginatorName": "boiler-1", "alarmSeverity": "major"}


async def test_rendered_message_reaches_the_smtp_server(notify: Fixture) -> None:
    with smtp_server() as (inbox, port):
        settings = {
            "mailFrom": "iot@factory.test",
            "smtpProtocol": "smtp",
            "smtpHost": "127.0.0.1",
            "smtpPort": port,
            "timeout": 5000,
            "enableTls": False,
            "username": "",
            "password": "",
        }
        await notify.center.settings.save(notify.tenant_id, SettingsKey.MAIL, settings)
        request_id = await notify.send(ADMINS, EMAIL, CONTEXT)
    [(rcpt, message)] = inbox.messages
    assert rcpt == [notify.admin_email]
    assert message["From"] == "iot@factory.test"
    assert message["To"] == notify.admin_email
    assert message["Subject"] == "Alarm: Overheat"
    body = cast(bytes, message.get_payload(decode=True))  # a single-part message: its bytes
    assert body.decode().strip() == "Hello Ada, boiler-1 is major."
    [log] = await notify.deliveries(request_id)
    assert (log["method"], log["status"], log["recipient"]) == ("EMAIL", "SENT", notify.admin_email)


async def test_system_settings_serve_a_tenant_without_its_own(notify: Fixture) -> None:
    from industryos.entities.ids import NULL_UUID

    with smtp_server() as (inbox, port):
        settings = {"mailFrom": "sys@io.test", "smtpHost": "127.0.0.1", "smtpPort": port}
        await notify.center.settings.save(NULL_UUID, SettingsKey.MAIL, settings)
        await notify.send(ADMINS, EMAIL, CONTEXT)
    [(_, message)] = inbox.messages
    assert message["From"] == "sys@io.test"


async def test_no_server_listening_fails_after_retries(notify: Fixture) -> None:
    with smtp_server() as (_, port):
        pass  # stopped: the port refuses connections
    settings = {"mailFrom": "a@b.test", "smtpHost": "127.0.0.1", "smtpPort": port, "timeout": 2000}
    await notify.center.settings.save(notify.tenant_id, SettingsKey.MAIL, settings)
    request_id = await notify.send(ADMINS, EMAIL, CONTEXT)
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"]) == ("FAILED", 3)
    assert log["error"].startswith("SMTP ")


async def test_settings_without_sender_fail_at_once(notify: Fixture) -> None:
    with smtp_server() as (inbox, port):
        settings = {"mailFrom": "", "smtpHost": "127.0.0.1", "smtpPort": port}
        await notify.center.settings.save(notify.tenant_id, SettingsKey.MAIL, settings)
        request_id = await notify.send(ADMINS, EMAIL, CONTEXT)
    assert inbox.messages == []
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"]) == ("FAILED", 1)  # final: not retried
    assert log["error"].startswith("Email sender is missing")
