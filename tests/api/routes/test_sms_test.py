"""``POST /api/admin/settings/testSms``: the form's settings, stored secrets, clear failures."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

from tests.api.conftest import Platform
from tests.notify.recorder import recording_server

PATH = "/api/admin/settings/testSms"
NUMBER = "+15551230000"


async def test_test_sms_goes_out_with_the_stored_secret(platform: Platform) -> None:
    tenant = await platform.new_tenant("Sms")
    async with recording_server((201, b'{"sid": "SM1"}')) as twilio:
        twilio_settings = {
            "type": "TWILIO",
            "accountSid": "AC9",
            "numberFrom": "+15559990000",
            "baseUrl": twilio.url,
        }
        saved = await tenant.admin.post(
            "/api/admin/settings",
            json={"key": "sms", "jsonValue": {**twilio_settings, "accountToken": "tw-9"}},
        )
        assert saved.status_code == 200, saved.text
        assert "accountToken" not in saved.json()["jsonValue"]
        # The form sends what it was shown (no token): the stored token signs the request.
        sent = await tenant.admin.post(
            PATH,
            json={"providerConfiguration": twilio_settings, "numberTo": NUMBER, "message": "hi"},
        )
        assert sent.status_code == 200, sent.text
    [request] = twilio.requests
    assert request.path == "/2010-04-01/Accounts/AC9/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"AC9:tw-9").decode()
    assert parse_qs(request.body.decode()) == {
        "To": [NUMBER],
        "From": ["+15559990000"],
        "Body": ["hi"],
    }


async def test_test_sms_failures_are_clear_400s(platform: Platform) -> None:
    tenant = await platform.new_tenant("SmsBad")
    async with recording_server((401, b'{"message": "Authenticate"}')) as twilio:
        settings = {
            "type": "TWILIO",
            "accountSid": "AC1",
            "accountToken": "wrong",
            "numberFrom": "+15559990000",
            "baseUrl": twilio.url,
        }
        body = {"providerConfiguration": settings, "numberTo": NUMBER, "message": "hi"}
        refused = await tenant.admin.post(PATH, json=body)
        assert refused.status_code == 400
        assert refused.json()["message"] == "Unable to send SMS: Twilio: HTTP 401 Unauthorized"
        bad_number = await tenant.admin.post(PATH, json={**body, "numberTo": "555-123"})
        assert bad_number.status_code == 400
        assert "E.164" in bad_number.json()["message"]
        empty = await tenant.admin.post(PATH, json={**body, "message": " "})
        assert empty.status_code == 400
        not_admin = await tenant.customer_user.post(PATH, json=body)
        assert not_admin.status_code == 403
    assert len(twilio.requests) == 1
    unsupported = await tenant.admin.post(
        PATH, json={**body, "providerConfiguration": {"type": "CARRIER_PIGEON"}}
    )
    assert unsupported.status_code == 400
    assert unsupported.json()["message"].startswith("Unable to send SMS: Unsupported SMS provider")


async def test_aws_secret_access_key_is_write_only(platform: Platform) -> None:
    sysadmin = await platform.sysadmin()
    aws = {"type": "AWS_SNS", "accessKeyId": "AKIA1", "secretAccessKey": "s3", "region": "eu"}
    saved = await sysadmin.post("/api/admin/settings", json={"key": "sms", "jsonValue": aws})
    assert saved.json()["jsonValue"] == {"type": "AWS_SNS", "accessKeyId": "AKIA1", "region": "eu"}
    read = await sysadmin.get("/api/admin/settings/sms")
    assert "secretAccessKey" not in read.json()["jsonValue"]
