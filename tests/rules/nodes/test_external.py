"""External sender nodes delivering through the notification layer (both engines):
send email to an aiosmtpd server, send SMS and Slack to a loopback HTTP server, send
notification into a user's WEB inbox; the email and SMS the nodes send count against the
tenant profile's monthly ``maxEmails``/``maxSms`` together with the notification center's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import NULL_UUID, EntityType, now_ms
from industryos.entities.paging import PageLink
from industryos.msg import EntityRef, Msg
from industryos.notify import RetryPolicy
from industryos.notify.catalog import TARGETS, TEMPLATES
from industryos.notify.center import NotificationCenter
from industryos.notify.enums import SettingsKey
from industryos.rules.errors import NodeConfigError, NodeFailure
from industryos.rules.nodes.base import Emit, NodeConfig, NodeContext, RuleNode, ServiceSet
from industryos.rules.nodes.external import NotificationNode, SendEmailNode, SendSmsNode, SlackNode
from industryos.storage import schema
from industryos.storage.database import Database
from tests.notify.conftest import ADMINS, Fixture, limit_tenant
from tests.notify.recorder import recording_server
from tests.notify.smtp import smtp_server
from tests.support.ports import free_port


@dataclass
class Env:
    center: NotificationCenter
    tenant_id: uuid.UUID
    user_id: uuid.UUID

    def build(self, cls: type[RuleNode], **config: Any) -> RuleNode:
        async def emit_later(emits: Sequence[Emit]) -> None:
            raise AssertionError("sender nodes never emit on their own")

        services = ServiceSet(notify=self.center)
        ctx = NodeContext(
            uuid.uuid4(), "n", self.tenant_id, uuid.uuid4(), cls.requires, services, emit_later
        )
        return cls(NodeConfig(cls.clazz, config), ctx)

    def msg(self, msg_type: str, data: Any, **metadata: str) -> Msg:
        return Msg(
            type=msg_type,
            originator=EntityRef(EntityType.DEVICE, uuid.uuid4()),
            tenant_id=self.tenant_id,
            data=orjson.dumps(data).decode(),
            metadata=metadata,
        )


@pytest.fixture
async def env(engine: AsyncEngine) -> AsyncIterator[Env]:
    db = Database(engine)
    center = NotificationCenter(db, retry=RetryPolicy(attempts=2, base_delay_s=0.01))
    tenant_id, user_id = uuid.uuid4(), uuid.uuid4()
    async with db.transaction() as conn:
        await conn.execute(
            schema.user.insert().values(
                id=user_id,
                created_time=now_ms(),
                tenant_id=tenant_id,
                customer_id=NULL_UUID,
                email="op@plant.test",
                authority="TENANT_ADMIN",
            )
        )
    yield Env(center, tenant_id, user_id)
    await center.stop()


async def test_send_email_uses_system_smtp_settings(env: Env) -> None:
    with smtp_server() as (inbox, port):
        await env.center.settings.save(
            NULL_UUID,
            SettingsKey.MAIL,
            {"mailFrom": "sys@io.test", "smtpHost": "127.0.0.1", "smtpPort": port},
        )
        node = env.build(SendEmailNode, useSystemSmtpSettings=True)
        email = {
            "from": "rules@io.test",
            "to": "a@x.test, b@x.test",
            "bcc": "c@x.test",
            "subject": "Hot",
            "body": "<b>75</b>",
            "html": True,
        }
        [emit] = await node.on_msg(env.msg("SEND_EMAIL", email))
    assert emit.label == "Success"
    [(rcpt, message)] = inbox.messages
    assert rcpt == ["a@x.test", "b@x.test", "c@x.test"]
    assert (message["From"], message["To"], message["Subject"]) == (
        "rules@io.test",
        "a@x.test, b@x.test",
        "Hot",
    )
    assert message["Bcc"] is None
    assert message.get_content_type() == "text/html"


async def test_send_email_refuses_other_message_types(env: Env) -> None:
    node = env.build(SendEmailNode, useSystemSmtpSettings=True)
    with pytest.raises(NodeFailure, match="SEND_EMAIL"):
        await node.on_msg(env.msg("POST_TELEMETRY_REQUEST", {"to": "a@x.test"}))
    with pytest.raises(NodeConfigError):
        env.build(SendEmailNode, useSystemSmtpSettings=False, smtpHost="")


async def test_send_email_without_a_sender_goes_to_failure(env: Env) -> None:
    """Own SMTP settings without mailFrom and a message without "from": a clear failure."""
    email = {"to": "a@x.test", "subject": "Hot", "body": "75"}
    with smtp_server() as (inbox, port):
        node = env.build(
            SendEmailNode, useSystemSmtpSettings=False, smtpHost="127.0.0.1", smtpPort=port
        )
        for blank in ({}, {"from": ""}, {"from": "  "}):
            with pytest.raises(NodeFailure, match="sender") as failed:
                await node.on_msg(env.msg("SEND_EMAIL", {**email, **blank}))
            assert "'from'" in str(failed.value) and "mailFrom" in str(failed.value)
        [emit] = await node.on_msg(env.msg("SEND_EMAIL", {**email, "from": "r@io.test"}))
    assert emit.label == "Success"
    [(rcpt, message)] = inbox.messages  # nothing went out without a sender
    assert (rcpt, message["From"]) == (["a@x.test"], "r@io.test")


async def test_send_sms_with_node_twilio_provider(env: Env) -> None:
    async with recording_server((201, b"{}")) as twilio:
        provider = {
            "type": "TWILIO",
            "accountSid": "AC9",
            "accountToken": "tok",
            "numberFrom": "+100",
            "baseUrl": twilio.url,
        }
        node = env.build(
            SendSmsNode,
            numbersToTemplate="${userPhone},+3332",
            smsMessageTemplate="${deviceName} at $[temp]",
            useSystemSmsSettings=False,
            smsProviderConfiguration=provider,
        )
        await node.on_msg(
            env.msg("POST_TELEMETRY_REQUEST", {"temp": 81}, userPhone="+222", deviceName="pump")
        )
    assert [parse_qs(r.body.decode())["To"] for r in twilio.requests] == [["+222"], ["+3332"]]
    assert parse_qs(twilio.requests[0].body.decode())["Body"] == ["pump at 81"]


async def test_send_sms_failure_goes_to_failure(env: Env) -> None:
    node = env.build(SendSmsNode, numbersToTemplate="+1", smsMessageTemplate="x")
    with pytest.raises(NodeFailure, match="SMS settings are not configured"):
        await node.on_msg(env.msg("POST_TELEMETRY_REQUEST", {}))


async def test_slack_with_system_bot_token(env: Env) -> None:
    async with recording_server((200, b'{"ok": true}')) as slack:
        config = {"SLACK": {"method": "SLACK", "botToken": "xoxb-sys", "baseUrl": slack.url}}
        await env.center.settings.save(
            NULL_UUID, SettingsKey.NOTIFICATIONS, {"deliveryMethodsConfigs": config}
        )
        node = env.build(
            SlackNode,
            useSystemSettings=True,
            messageTemplate="${deviceName}: $[temp]",
            conversation={"id": "C7", "name": "#ops"},
        )
        await node.on_msg(env.msg("POST_TELEMETRY_REQUEST", {"temp": 9}, deviceName="fan"))
    [request] = slack.requests
    assert request.path == "/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-sys"
    assert orjson.loads(request.body) == {"channel": "C7", "text": "fan: 9"}


async def test_send_notification_reaches_the_web_inbox(env: Env) -> None:
    target = await env.center.catalog.save(
        TARGETS,
        env.tenant_id,
        {
            "name": "admins",
            "configuration": {
                "type": "PLATFORM_USERS",
                "usersFilter": {"type": "TENANT_ADMINISTRATORS"},
            },
        },
    )
    template = await env.center.catalog.save(
        TEMPLATES,
        env.tenant_id,
        {
            "name": "rn",
            "notificationType": "RULE_NODE",
            "configuration": {
                "deliveryMethodsTemplates": {
                    "WEB": {"method": "WEB", "subject": "${deviceName}", "body": "temp ${temp}"}
                }
            },
        },
    )
    node = env.build(
        NotificationNode, templateId=template["id"]["id"], targets=[target["id"]["id"]]
    )
    [emit] = await node.on_msg(env.msg("POST_TELEMETRY_REQUEST", {"temp": 55}, deviceName="kiln"))
    assert emit.msg.metadata["requestId"]
    await env.center.wait_idle()
    page = await env.center.inbox.page(env.user_id, PageLink(10))
    [item] = page.data
    assert (item["type"], item["subject"], item["text"]) == ("RULE_NODE", "kiln", "temp 55")


EMAIL_LIMIT = "Email sending is disabled due to API limits!"
SMS_LIMIT = "SMS sending is disabled due to API limits!"


async def test_send_email_counts_against_max_emails(engine: AsyncEngine, env: Env) -> None:
    await limit_tenant(engine, env.tenant_id, maxEmails=2)
    center_sends = Fixture(env.center, env.tenant_id, env.user_id)
    email = {"from": "r@io.test", "to": "a@x.test, b@x.test", "subject": "Hot", "body": "75"}
    with smtp_server() as (inbox, port):
        smtp = {"mailFrom": "sys@io.test", "smtpHost": "127.0.0.1", "smtpPort": port}
        await env.center.settings.save(NULL_UUID, SettingsKey.MAIL, smtp)
        system = env.build(SendEmailNode, useSystemSmtpSettings=True)
        own = env.build(SendEmailNode, useSystemSmtpSettings=False, **smtp)
        unreachable = env.build(
            SendEmailNode, useSystemSmtpSettings=False, smtpHost="127.0.0.1", smtpPort=free_port()
        )
        with pytest.raises(NodeFailure, match="SMTP"):  # not sent: not counted
            await unreachable.on_msg(env.msg("SEND_EMAIL", email))
        [emit] = await system.on_msg(env.msg("SEND_EMAIL", email))  # 1 (two recipients)
        assert emit.label == "Success"
        mail = {"EMAIL": {"method": "EMAIL", "subject": "s", "body": "${x}"}}
        first = await center_sends.send(ADMINS, mail, {"x": "1"})  # 2
        with pytest.raises(NodeFailure, match=EMAIL_LIMIT):
            await own.on_msg(env.msg("SEND_EMAIL", email))
        with pytest.raises(NodeFailure, match=EMAIL_LIMIT):
            await system.on_msg(env.msg("SEND_EMAIL", email))
        second = await center_sends.send(ADMINS, mail, {"x": "2"})
    assert [rcpt for rcpt, _ in inbox.messages] == [["a@x.test", "b@x.test"], ["op@plant.test"]]
    assert [d["status"] for d in await center_sends.deliveries(first)] == ["SENT"]
    [skipped] = await center_sends.deliveries(second)
    assert (skipped["status"], skipped["error"]) == ("SKIPPED", EMAIL_LIMIT)


async def test_send_email_past_max_emails_with_own_smtp(engine: AsyncEngine, env: Env) -> None:
    await limit_tenant(engine, env.tenant_id, maxEmails=1)
    email = {"from": "r@io.test", "to": "a@x.test", "subject": "Hot", "body": "75"}
    with smtp_server() as (inbox, port):
        node = env.build(
            SendEmailNode, useSystemSmtpSettings=False, smtpHost="127.0.0.1", smtpPort=port
        )
        await node.on_msg(env.msg("SEND_EMAIL", email))
        with pytest.raises(NodeFailure, match=EMAIL_LIMIT):
            await node.on_msg(env.msg("SEND_EMAIL", email))
    assert len(inbox.messages) == 1


async def test_send_sms_counts_each_number_against_max_sms(engine: AsyncEngine, env: Env) -> None:
    await limit_tenant(engine, env.tenant_id, maxSms=3)
    async with Database(engine).transaction() as conn:
        await conn.execute(
            schema.user.update().where(schema.user.c.id == env.user_id).values(phone="+900")
        )
    center_sends = Fixture(env.center, env.tenant_id, env.user_id)
    sms = {"SMS": {"method": "SMS", "body": "${x}"}}
    async with recording_server((500, b"{}")) as down, recording_server((200, b"{}")) as gateway:
        provider = {"type": "HTTP", "url": gateway.url + "/send", "bodyTemplate": "${phoneNumber}"}
        await env.center.settings.save(env.tenant_id, SettingsKey.SMS, provider)
        failing = env.build(
            SendSmsNode,
            numbersToTemplate="+10",
            smsMessageTemplate="x",
            useSystemSmsSettings=False,
            smsProviderConfiguration={**provider, "url": down.url + "/send"},
        )
        with pytest.raises(NodeFailure):  # not sent: not counted
            await failing.on_msg(env.msg("POST_TELEMETRY_REQUEST", {}))
        node = env.build(SendSmsNode, numbersToTemplate="${to}", smsMessageTemplate="x")
        await node.on_msg(env.msg("POST_TELEMETRY_REQUEST", {}, to="+1"))  # 1
        first = await center_sends.send(ADMINS, sms, {"x": "1"})  # 2
        with pytest.raises(NodeFailure, match=SMS_LIMIT):  # +2 goes out (3), +3 does not
            await node.on_msg(env.msg("POST_TELEMETRY_REQUEST", {}, to="+2,+3"))
        second = await center_sends.send(ADMINS, sms, {"x": "2"})
    assert len(down.requests) == 1
    assert [r.body.decode() for r in gateway.requests] == ["+1", "+900", "+2"]
    assert [d["status"] for d in await center_sends.deliveries(first)] == ["SENT"]
    [skipped] = await center_sends.deliveries(second)
    assert (skipped["status"], skipped["error"]) == ("SKIPPED", SMS_LIMIT)
