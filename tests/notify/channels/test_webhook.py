"""WEBHOOK: one JSON POST with the target's headers; 4xx is final, 5xx retried."""

from __future__ import annotations

import orjson

from tests.notify.conftest import Fixture
from tests.notify.recorder import recording_server

HOOK = {"WEBHOOK": {"method": "WEBHOOK", "subject": "Alarm ${alarmType}", "body": "${action}"}}
CONTEXT = {"alarmType": "Leak", "action": "created"}


async def test_post_json_with_configured_headers(notify: Fixture) -> None:
    async with recording_server((204, b"")) as hook:
        target = {
            "type": "WEBHOOK",
            "url": hook.url + "/hooks/io",
            "headers": {"Authorization": "Token abc", "X-Source": "industryos"},
        }
        request_id = await notify.send(target, HOOK, CONTEXT)
    [request] = hook.requests
    assert (request.method, request.path) == ("POST", "/hooks/io")
    assert request.headers["authorization"] == "Token abc"
    assert request.headers["x-source"] == "industryos"
    assert request.headers["content-type"] == "application/json"
    assert orjson.loads(request.body) == {
        "subject": "Alarm Leak",
        "text": "created",
        "notificationType": "GENERAL",
        "tenantId": str(notify.tenant_id),
        "requestId": str(request_id),
        "info": CONTEXT,
    }
    [log] = await notify.deliveries(request_id)
    assert (log["method"], log["status"]) == ("WEBHOOK", "SENT")


async def test_client_error_is_final(notify: Fixture) -> None:
    async with recording_server((404, b"")) as hook:
        request_id = await notify.send({"type": "WEBHOOK", "url": hook.url}, HOOK, CONTEXT)
    assert len(hook.requests) == 1
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["error"]) == ("FAILED", "Webhook: HTTP 404 Not Found")


async def test_unreachable_endpoint_is_retried_and_logged(notify: Fixture) -> None:
    async with recording_server() as hook:
        url = hook.url  # closed when the block ends: nothing listens any more
    request_id = await notify.send({"type": "WEBHOOK", "url": url}, HOOK, CONTEXT)
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"]) == ("FAILED", 3)
    assert log["error"].startswith("Webhook: Connect")


async def test_rate_limited_tenant_deliveries_are_skipped(notify: Fixture) -> None:
    from industryos.notify.ratelimit import RateLimit, TenantRateLimits

    notify.center.limits = TenantRateLimits(RateLimit(capacity=1, period_s=3600))
    async with recording_server((200, b"{}")) as hook:
        first = await notify.send({"type": "WEBHOOK", "url": hook.url}, HOOK, CONTEXT)
        second = await notify.send({"type": "WEBHOOK", "url": hook.url}, HOOK, CONTEXT)
    assert len(hook.requests) == 1
    assert [d["status"] for d in await notify.deliveries(first)] == ["SENT"]
    [skipped] = await notify.deliveries(second)
    assert (skipped["status"], skipped["error"]) == ("SKIPPED", "Rate limit exceeded")
