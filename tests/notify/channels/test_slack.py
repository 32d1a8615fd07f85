"""SLACK: the exact chat.postMessage / incoming-webhook requests, retries, the delivery log."""

from __future__ import annotations

import orjson

from industryos.notify.enums import SettingsKey
from tests.notify.conftest import Fixture
from tests.notify.recorder import recording_server

SLACK = {"SLACK": {"method": "SLACK", "body": "Alarm ${alarmType} is ${alarmSeverity:upperCase}"}}
CONTEXT = {"alarmType": "High Temperature", "alarmSeverity": "critical"}
CHANNEL = {"type": "SLACK", "conversationType": "PUBLIC_CHANNEL", "conversation": {"id": "C42"}}


async def _bot(notify: Fixture, base_url: str) -> None:
    config = {"SLACK": {"method": "SLACK", "botToken": "xoxb-secret", "baseUrl": base_url}}
    await notify.center.settings.save(
        notify.tenant_id, SettingsKey.NOTIFICATIONS, {"deliveryMethodsConfigs": config}
    )


async def test_bot_token_posts_chat_post_message(notify: Fixture) -> None:
    async with recording_server((200, b'{"ok": true, "ts": "1.2"}')) as slack:
        await _bot(notify, slack.url + "/api")
        request_id = await notify.send(CHANNEL, SLACK, CONTEXT)
    [request] = slack.requests
    assert (request.method, request.path) == ("POST", "/api/chat.postMessage")
    assert request.headers["authorization"] == "Bearer xoxb-secret"
    assert request.headers["content-type"].startswith("application/json")
    assert orjson.loads(request.body) == {
        "channel": "C42",
        "text": "Alarm High Temperature is CRITICAL",
    }
    [log] = await notify.deliveries(request_id)
    assert (log["method"], log["status"], log["attempts"], log["recipient"]) == (
        "SLACK",
        "SENT",
        1,
        "C42",
    )


async def test_rate_limited_answer_is_retried_then_sent(notify: Fixture) -> None:
    answers = [
        (200, b'{"ok": false, "error": "ratelimited"}'),
        (500, b"{}"),
        (200, b'{"ok": true}'),
    ]
    async with recording_server(*answers) as slack:
        await _bot(notify, slack.url)
        request_id = await notify.send(CHANNEL, SLACK, CONTEXT)
    assert len(slack.requests) == 3
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"], log["error"]) == ("SENT", 3, None)


async def test_failing_endpoint_shows_in_the_delivery_log(notify: Fixture) -> None:
    async with recording_server((503, b"{}")) as slack:
        await _bot(notify, slack.url)
        request_id = await notify.send(CHANNEL, SLACK, CONTEXT)
    assert len(slack.requests) == 3  # every attempt of the policy
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"]) == ("FAILED", 3)
    assert log["error"] == "Slack: HTTP 503 Service Unavailable"
    request = await notify.center.request(notify.tenant_id, request_id)
    assert request["status"] == "SENT"
    assert request["stats"]["errors"] == {"SLACK": 1}


async def test_channel_not_found_is_not_retried(notify: Fixture) -> None:
    async with recording_server((200, b'{"ok": false, "error": "channel_not_found"}')) as slack:
        await _bot(notify, slack.url)
        request_id = await notify.send(CHANNEL, SLACK, CONTEXT)
    assert len(slack.requests) == 1
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["error"]) == ("FAILED", "Slack: channel_not_found")


async def test_incoming_webhook_gets_the_text(notify: Fixture) -> None:
    async with recording_server((200, b"ok")) as hook:
        target = {"type": "SLACK", "webhookUrl": hook.url + "/services/T1/B2/xyz"}
        request_id = await notify.send(target, SLACK, CONTEXT)
    [request] = hook.requests
    assert (request.method, request.path) == ("POST", "/services/T1/B2/xyz")
    assert orjson.loads(request.body) == {"text": "Alarm High Temperature is CRITICAL"}
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["recipient"]) == ("SENT", "slack-webhook")
