"""Notification center over REST and WebSocket.

End to end on a real node (both engines): a device-profile alarm rule raises an alarm from
HTTP device telemetry, the tenant's ALARM notification rule renders its template, an
aiosmtpd server started here receives the email, the WEB notification is listed over REST
and pushed to a NOTIFICATIONS subscription with ``totalUnreadCount`` (checklist 40).
In-process REST: settings secrets are write-only, the catalogue is tenant-scoped, and a
manual request shows its per-recipient delivery log.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, cast

import httpx
from websockets.asyncio.client import connect

from industryos.demo import SYSADMIN_EMAIL, TENANT_ADMIN_EMAIL
from industryos.notify.enums import SettingsKey
from tests.alarms.test_node_e2e import device_with_rule
from tests.api.conftest import Platform
from tests.api.ws.conftest import recv_json, send_json
from tests.notify.smtp import smtp_server
from tests.support.node import running_node

TEMPLATE = {
    "name": "Alarm mail",
    "notificationType": "ALARM",
    "configuration": {
        "deliveryMethodsTemplates": {
            "EMAIL": {
                "method": "EMAIL",
                "enabled": True,
                "subject": "${alarmType} ${action}",
                "body": "${alarmOriginatorName} is ${alarmSeverity} (${alarmStatus})",
            },
            "WEB": {
                "method": "WEB",
                "enabled": True,
                "subject": "Alarm ${alarmType}",
                "body": "Severity ${alarmSeverity:upperCase} on ${alarmOriginatorName}",
            },
        }
    },
}


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    login = await client.post("/api/auth/login", json={"username": email, "password": password})
    assert login.status_code == 200, login.text
    return {"X-Authorization": f"Bearer {login.json()['token']}"}


async def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


async def _setup_rule(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    target = await _ok(
        await client.post(
            "/api/notification/target",
            json={
                "name": "Admins",
                "configuration": {
                    "type": "PLATFORM_USERS",
                    "usersFilter": {"type": "TENANT_ADMINISTRATORS"},
                },
            },
            headers=headers,
        )
    )
    template = await _ok(
        await client.post("/api/notification/template", json=TEMPLATE, headers=headers)
    )
    rule = {
        "name": "Critical temperature",
        "enabled": True,
        "templateId": template["id"],
        "triggerType": "ALARM",
        "triggerConfig": {
            "triggerType": "ALARM",
            "alarmTypes": ["High Temperature"],
            "alarmSeverities": ["CRITICAL"],
            "notifyOn": ["CREATED"],
        },
        "recipientsConfig": {
            "triggerType": "ALARM",
            "escalationTable": {"0": [target["id"]["id"]]},
        },
    }
    saved = await _ok(await client.post("/api/notification/rule", json=rule, headers=headers))
    assert saved["templateId"] == template["id"] and saved["triggerType"] == "ALARM"


async def test_device_profile_alarm_mails_and_pushes_notification(
    tmp_path: Path, db_url: str
) -> None:
    async with running_node(tmp_path, db_url) as node:
        with smtp_server() as (mailbox, smtp_port):
            base = f"http://127.0.0.1:{node.http_port}"
            async with httpx.AsyncClient(base_url=base) as client:
                sysadmin = await _login(client, SYSADMIN_EMAIL, "sysadmin")
                mail = {
                    "mailFrom": "alerts@industryos.test",
                    "smtpProtocol": "smtp",
                    "smtpHost": "127.0.0.1",
                    "smtpPort": smtp_port,
                    "timeout": 5000,
                    "enableTls": False,
                    "password": "smtp-secret",
                }
                await _ok(
                    await client.post(
                        "/api/admin/settings",
                        json={"key": "mail", "jsonValue": mail},
                        headers=sysadmin,
                    )
                )
                admin = await _login(client, TENANT_ADMIN_EMAIL, "tenant")
                token = admin["X-Authorization"].removeprefix("Bearer ")
                await _setup_rule(client, admin)
                _, _, device_token = await device_with_rule(client, "boiler-7", admin)
                async with connect(f"ws://127.0.0.1:{node.http_port}/api/ws") as ws:
                    subscribe = {"type": "NOTIFICATIONS", "cmdId": 5, "limit": 10}
                    await send_json(
                        ws, {"authCmd": {"cmdId": 0, "token": token}, "cmds": [subscribe]}
                    )
                    first = await recv_json(ws)
                    assert first["cmdUpdateType"] == "NOTIFICATIONS"
                    assert (first["notifications"], first["totalUnreadCount"]) == ([], 0)
                    hot = await client.post(
                        f"/api/v1/{device_token}/telemetry", json={"temperature": 75}
                    )
                    assert hot.status_code == 200
                    pushed = await recv_json(ws)
                assert pushed["cmdId"] == 5 and pushed["totalUnreadCount"] == 1
                assert pushed["update"]["subject"] == "Alarm High Temperature"
                assert pushed["update"]["text"] == "Severity CRITICAL on boiler-7"
                for _ in range(200):
                    if mailbox.messages:
                        break
                    await asyncio.sleep(0.05)
                [(rcpt, message)] = mailbox.messages
                assert rcpt == [TENANT_ADMIN_EMAIL]
                assert message["From"] == "alerts@industryos.test"
                assert message["Subject"] == "High Temperature created"
                payload = cast(bytes, message.get_payload(decode=True))  # single-part
                body = payload.decode().strip()
                assert body == "boiler-7 is critical (ACTIVE_UNACK)"
                listed = await _ok(
                    await client.get(
                        "/api/notifications",
                        params={"pageSize": 10, "page": 0, "unreadOnly": "true"},
                        headers=admin,
                    )
                )
                [web] = listed["data"]
                assert (web["type"], web["status"], web["deliveryMethod"]) == (
                    "ALARM",
                    "SENT",
                    "WEB",
                )
                count = await client.get("/api/notifications/unread/count", headers=admin)
                assert count.json() == 1
                read = await client.put(f"/api/notification/{web['id']['id']}/read", headers=admin)
                assert read.status_code == 200
                count = await client.get("/api/notifications/unread/count", headers=admin)
                assert count.json() == 0
                shown = await _ok(await client.get("/api/admin/settings/mail", headers=sysadmin))
                assert "password" not in shown["jsonValue"]
                assert shown["jsonValue"]["smtpHost"] == "127.0.0.1"


async def test_secrets_are_write_only(platform: Platform) -> None:
    tenant = await platform.new_tenant("Secrets")
    saved = await tenant.admin.post(
        "/api/notification/settings",
        json={"deliveryMethodsConfigs": {"SLACK": {"method": "SLACK", "botToken": "xoxb-1"}}},
    )
    assert saved.json() == {"deliveryMethodsConfigs": {"SLACK": {"method": "SLACK"}}}
    again = await tenant.admin.post(
        "/api/notification/settings",
        json={"deliveryMethodsConfigs": {"SLACK": {"method": "SLACK"}}},
    )
    assert again.status_code == 200
    center = platform.core.notifications.center
    stored = await center.settings.get(uuid.UUID(tenant.tenant_id), SettingsKey.NOTIFICATIONS)
    assert stored is not None
    assert stored["deliveryMethodsConfigs"]["SLACK"]["botToken"] == "xoxb-1"
    sms = await tenant.admin.post(
        "/api/admin/settings",
        json={
            "key": "sms",
            "jsonValue": {"type": "TWILIO", "accountSid": "AC1", "accountToken": "t"},
        },
    )
    assert sms.json()["jsonValue"] == {"type": "TWILIO", "accountSid": "AC1"}
    refused = await tenant.customer_user.get("/api/admin/settings/mail")
    assert refused.status_code == 403


async def test_catalogue_is_tenant_scoped_and_requests_log_deliveries(platform: Platform) -> None:
    a = await platform.new_tenant("NotifyA")
    b = await platform.new_tenant("NotifyB")
    target = await _ok(
        await a.admin.post(
            "/api/notification/target",
            json={
                "name": "Customer users",
                "configuration": {
                    "type": "PLATFORM_USERS",
                    "usersFilter": {"type": "CUSTOMER_USERS", "customerId": a.customer_id},
                },
            },
        )
    )
    target_id = target["id"]["id"]
    assert (await b.admin.get(f"/api/notification/target/{target_id}")).status_code == 404
    listed = await _ok(await a.admin.get("/api/notification/targets?pageSize=10&page=0"))
    assert [t["name"] for t in listed["data"]] == ["Customer users"]
    empty = await _ok(await b.admin.get("/api/notification/targets?pageSize=10&page=0"))
    assert empty["totalElements"] == 0
    bad = await a.admin.post(
        "/api/notification/target", json={"name": "x", "configuration": {"type": "NOPE"}}
    )
    assert bad.status_code == 400
    template = {
        "notificationType": "GENERAL",
        "configuration": {
            "deliveryMethodsTemplates": {
                "WEB": {"method": "WEB", "subject": "Hi", "body": "Hello ${recipientEmail}"}
            }
        },
    }
    request = await _ok(
        await a.admin.post(
            "/api/notification/request", json={"targets": [target_id], "template": template}
        )
    )
    await platform.core.notifications.center.wait_idle()
    shown = await _ok(await a.admin.get(f"/api/notification/request/{request['id']['id']}"))
    assert shown["status"] == "SENT"
    [delivery] = shown["deliveries"]
    assert (delivery["method"], delivery["status"]) == ("WEB", "SENT")
    inbox = await _ok(await a.customer_user.get("/api/notifications?pageSize=10&page=0"))
    [item] = inbox["data"]
    assert item["text"] == f"Hello {delivery['recipient']}"
    assert (await a.admin.get("/api/notifications?pageSize=10&page=0")).json()["data"] == []
    other = await b.admin.delete(f"/api/notification/{item['id']['id']}")
    assert other.status_code == 404
    assert (
        await a.customer_user.delete(f"/api/notification/{item['id']['id']}")
    ).status_code == 200
    assert (await a.customer_user.get("/api/notifications/unread/count")).json() == 0
    refused = await b.admin.post(
        "/api/notification/request", json={"targets": [target_id], "template": template}
    )
    assert refused.status_code == 404


async def test_test_mail_reaches_the_caller_or_says_why_not(platform: Platform) -> None:
    """testMail sends with the settings in the body, to the caller; a failure is a clear 400."""
    tenant = await platform.new_tenant("TestMail")
    admin_email = (await _ok(await tenant.admin.get("/api/auth/user")))["email"]
    with smtp_server() as (mailbox, smtp_port):
        settings = {
            "mailFrom": "ops@industryos.test",
            "smtpProtocol": "smtp",
            "smtpHost": "127.0.0.1",
            "smtpPort": smtp_port,
            "timeout": 5000,
            "enableTls": False,
        }
        sent = await tenant.admin.post(
            "/api/admin/settings/testMail", json={"key": "mail", "jsonValue": settings}
        )
        assert sent.status_code == 200, sent.text
        assert len(mailbox.messages) == 1
        recipients, message = mailbox.messages[0]
        assert recipients == [admin_email]
        assert message["From"] == "ops@industryos.test"
        assert message["Subject"] == "Test message from IndustryOS"
    # the server is gone now: the answer says the mail could not be sent
    failed = await tenant.admin.post(
        "/api/admin/settings/testMail", json={"key": "mail", "jsonValue": settings}
    )
    assert failed.status_code == 400
    assert failed.json()["message"].startswith("Unable to send mail")
    no_host = await tenant.admin.post(
        "/api/admin/settings/testMail", json={"key": "mail", "jsonValue": {"smtpPort": 25}}
    )
    assert no_host.status_code == 400
    refused = await tenant.customer_user.post(
        "/api/admin/settings/testMail", json={"key": "mail", "jsonValue": settings}
    )
    assert refused.status_code == 403
