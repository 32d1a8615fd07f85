"""``POST /api/admin/settings/testSms``: ThingsBoard's "send test SMS" (``TestSmsRequest``).

The body is ``{"providerConfiguration": {...}, "numberTo": "+E.164", "message": "..."}``,
the provider settings as the SMS settings form holds them, so they can be checked before
they are saved. A secret the form left out (it never shows one) is taken from the caller's
stored ``sms`` settings. The message goes out once through the SMS channel's senders; a
failure answers 400 with the provider's reason. ThingsBoard lets only the sysadmin test;
here tenant administrators keep SMS settings of their own (see ``notifications.py``), so
they may test those too, and nobody else may.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response

from industryos.api.deps import Context, CurrentCaller
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.models import Authority
from industryos.notify.channels.sms import send_sms
from industryos.notify.enums import SettingsKey
from industryos.notify.errors import DeliveryFailed
from industryos.notify.settings import merge_secrets

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["notification"])

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
"""ThingsBoard's check of ``numberTo``: a plus and up to 15 digits."""
MAX_MESSAGE = 1600
"""The longest text one SMS request may carry (Twilio's limit, concatenated)."""


@router.post("/admin/settings/testSms")
async def send_test_sms(
    caller: CurrentCaller, context: Context, body: Annotated[dict[str, Any], Body()]
) -> Response:
    """Send ``message`` to ``numberTo`` with the provider settings in the body."""
    caller.require(Authority.SYS_ADMIN, Authority.TENANT_ADMIN)
    provider = body.get("providerConfiguration")
    number, message = body.get("numberTo"), body.get("message")
    if not isinstance(provider, dict):
        raise InvalidArgument("providerConfiguration must be an object")
    if not isinstance(number, str) or not E164.match(number):
        raise InvalidArgument("numberTo must be a phone number in E.164 format, e.g. +15551234567")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        raise InvalidArgument(f"message must be 1 to {MAX_MESSAGE} characters")
    if context.notifications is None:
        raise NotFound("Notifications are not available on this node")
    center = context.notifications.center
    stored = await center.settings.get(caller.tenant_id, SettingsKey.SMS)
    settings = merge_secrets(provider, stored or {})
    try:
        await send_sms(center.http, settings, number, message)
    except DeliveryFailed as exc:  # RetryableFailure included: a test is not retried
        raise InvalidArgument(f"Unable to send SMS: {exc}") from None
    return Response(status_code=200)
