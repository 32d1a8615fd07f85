"""SMS: Twilio's Messages API request and a templated HTTP gateway request, with retries."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import orjson

from industryos.notify.enums import SettingsKey
from tests.notify.conftest import ADMINS, Fixture
from tests.notify.recorder import recording_server

SMS = {"SMS": {"method": "SMS", "body": "${alarmType} on ${alarmOriginatorName}"}}
CONTEXT = {"alarmType": "Overheat", "alarmOriginatorName": "boiler-1"}


async def test_twilio_messages_api(notify: Fixture) -> None:
    async with recording_server((201, b'{"sid": "SM1", "status": "queued"}')) as twilio:
        settings = {
            "type": "TWILIO",
            "accountSid": "AC123",
            "accountToken": "tw-secret",
            "numberFrom": "+15559990000",
            "baseUrl": twilio.url,
        }
        await notify.center.settings.save(notify.tenant_id, SettingsKey.SMS, settings)
        request_id = await notify.send(ADMINS, SMS, CONTEXT)
    [request] = twilio.requests
    assert (request.method, request.path) == ("POST", "/2010-04-01/Accounts/AC123/Messages.json")
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        request.headers["authorization"] == "Basic " + base64.b64encode(b"AC123:tw-secret").decode()
    )
    assert parse_qs(request.body.decode()) == {
        "To": [notify.admin_phone],
        "From": ["+15559990000"],
        "Body": ["Overheat on boiler-1"],
    }
    [log] = await notify.deliveries(request_id)
    assert (log["method"], log["recipient"], log["status"]) == ("SMS", notify.admin_phone, "SENT")


async def test_http_gateway_templated_request_retried(notify: Fixture) -> None:
    async with recording_server((502, b""), (200, b'{"accepted": true}')) as gateway:
        settings = {
            "type": "HTTP",
            "url": gateway.url + "/send",
            "headers": {"X-Api-Key": "k-1"},
            "bodyTemplate": '{"msisdn": "${phoneNumber}", "message": "${message}"}',
        }
        await notify.center.settings.save(notify.tenant_id, SettingsKey.SMS, settings)
        quoted = {**CONTEXT, "alarmOriginatorName": 'boiler "A"'}
        request_id = await notify.send(ADMINS, SMS, quoted)
    assert len(gateway.requests) == 2
    request = gateway.requests[-1]
    assert (request.method, request.path) == ("POST", "/send")
    assert request.headers["x-api-key"] == "k-1"
    assert orjson.loads(request.body) == {
        "msisdn": notify.admin_phone,
        "message": 'Overheat on boiler "A"',
    }
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"]) == ("SENT", 2)


async def test_missing_settings_fail_without_retry(notify: Fixture) -> None:
    request_id = await notify.send(ADMINS, SMS, CONTEXT)
    [log] = await notify.deliveries(request_id)
    assert (log["status"], log["attempts"], log["error"]) == (
        "FAILED",
        1,
        "SMS settings are not configured",
    )
