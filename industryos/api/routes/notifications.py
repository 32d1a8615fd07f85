"""Notification center REST (spec platform-api §7): targets, templates, rules, requests,
the caller's WEB notifications, and mail/SMS/notification settings with write-only secrets.

Tenant administrators manage their tenant's objects and settings; the system
administrator manages the system's (NULL tenant). Every user reads their own inbox.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from industryos.api.context import ApiContext
from industryos.api.deps import Context, CurrentCaller, Page
from industryos.api.responses import JsonResponse
from industryos.entities.access import Caller
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.models import Authority
from industryos.notify import Notifications, SendSpec
from industryos.notify.catalog import RULES, TARGETS, TEMPLATES, Kind
from industryos.notify.channels.email import Mail, SmtpConfig, send_mail
from industryos.notify.enums import DeliveryMethod, SettingsKey
from industryos.notify.errors import DeliveryFailed
from industryos.notify.settings import masked

router = APIRouter(prefix="/api", tags=["notification"])

Json = dict[str, Any]

_KINDS: dict[str, Kind] = {"target": TARGETS, "template": TEMPLATES, "rule": RULES}


def _notify(context: ApiContext) -> Notifications:
    if context.notifications is None:
        raise NotFound("Notifications are not available on this node")
    return context.notifications


def _owner(caller: Caller) -> uuid.UUID:
    """The tenant whose notification objects the caller manages (sysadmin: NULL tenant)."""
    caller.require(Authority.SYS_ADMIN, Authority.TENANT_ADMIN)
    return caller.tenant_id


def _kind(name: str) -> Kind:
    kind = _KINDS.get(name)
    if kind is None:
        raise NotFound(f"Unknown notification object: {name}")
    return kind


def _uuid(value: Any, what: str) -> uuid.UUID:
    raw = value.get("id") if isinstance(value, dict) else value
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise InvalidArgument(f"Invalid {what}: {raw}") from None


# Inbox (every user)


@router.get("/notifications")
async def notifications(
    caller: CurrentCaller,
    context: Context,
    link: Page,
    unread_only: Annotated[bool, Query(alias="unreadOnly")] = False,
    delivery_method: Annotated[str, Query(alias="deliveryMethod")] = "WEB",
) -> JsonResponse:
    """The caller's WEB notifications, newest first."""
    if delivery_method.upper() != DeliveryMethod.WEB.value:
        raise InvalidArgument("Only WEB notifications are stored")
    page = await _notify(context).center.inbox.page(caller.user_id, link, unread_only=unread_only)
    return JsonResponse(page.to_wire(lambda n: n))


@router.get("/notifications/unread/count")
async def unread_count(caller: CurrentCaller, context: Context) -> JsonResponse:
    """How many of the caller's notifications are unread (a bare number)."""
    return JsonResponse(await _notify(context).center.inbox.unread_count(caller.user_id))


@router.put("/notification/{notification_id}/read")
async def mark_read(
    notification_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Response:
    """Mark one notification read."""
    await _notify(context).center.inbox.mark_one_read(caller.user_id, notification_id)
    return Response(status_code=200)


@router.put("/notifications/read")
async def mark_all_read(caller: CurrentCaller, context: Context) -> Response:
    """Mark all the caller's notifications read."""
    await _notify(context).center.inbox.mark_read(caller.user_id, None)
    return Response(status_code=200)


@router.delete("/notification/{notification_id}")
async def delete_notification(
    notification_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Response:
    """Delete one of the caller's notifications."""
    await _notify(context).center.inbox.delete(caller.user_id, notification_id)
    return Response(status_code=200)


# Requests


@router.post("/notification/request")
async def create_request(
    caller: CurrentCaller, context: Context, body: Annotated[Json, Body()]
) -> JsonResponse:
    """Send a notification now (or after ``additionalConfig.sendingDelayInSec``)."""
    tenant_id = _owner(caller)
    center = _notify(context).center
    targets = [_uuid(t, "target id") for t in body.get("targets") or []]
    if not targets:
        raise InvalidArgument("Request needs targets")
    template_id = None if body.get("templateId") is None else _uuid(body["templateId"], "id")
    template = await center.template_of(tenant_id, template_id, body.get("template"))
    extra = body.get("additionalConfig") or {}
    info = body.get("info") or {}
    spec = SendSpec(
        tenant_id=tenant_id,
        target_ids=targets,
        template=template,
        template_id=template_id,
        context={str(k): str(v) for k, v in info.items()} if isinstance(info, dict) else {},
        delay_s=int(extra.get("sendingDelayInSec") or 0) if isinstance(extra, dict) else 0,
    )
    return JsonResponse(await center.send(spec))


@router.get("/notification/request/{request_id}")
async def get_request(
    request_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> JsonResponse:
    """One request with its per-recipient delivery log (``deliveries``)."""
    return JsonResponse(await _notify(context).center.request(_owner(caller), request_id))


@router.get("/notification/requests")
async def list_requests(caller: CurrentCaller, context: Context, link: Page) -> JsonResponse:
    """The caller's tenant's requests, newest first."""
    page = await _notify(context).center.requests(_owner(caller), link)
    return JsonResponse(page.to_wire(lambda r: r))


@router.delete("/notification/request/{request_id}")
async def delete_request(
    request_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Response:
    """Delete a request with its delivery log and WEB notifications."""
    await _notify(context).center.delete_request(_owner(caller), request_id)
    return Response(status_code=200)


# Settings (secrets write-only)

_SETTINGS = {"mail": SettingsKey.MAIL, "sms": SettingsKey.SMS}


def _settings_key(key: str) -> SettingsKey:
    found = _SETTINGS.get(key)
    if found is None:
        raise NotFound(f"Unknown settings: {key}")
    return found


@router.get("/admin/settings/{key}")
async def get_settings(key: str, caller: CurrentCaller, context: Context) -> JsonResponse:
    """Mail or SMS settings of the caller's scope (system for the sysadmin), secrets left out."""
    settings_key = _settings_key(key)
    value = await _notify(context).center.settings.get(_owner(caller), settings_key)
    return JsonResponse({"key": key, "jsonValue": masked(value or {})})


@router.post("/admin/settings")
async def save_settings(
    caller: CurrentCaller, context: Context, body: Annotated[Json, Body()]
) -> JsonResponse:
    """Save ``{key, jsonValue}``; a secret left out keeps its stored value."""
    key = str(body.get("key") or "")
    value = body.get("jsonValue")
    if not isinstance(value, dict):
        raise InvalidArgument("jsonValue must be an object")
    stored = await _notify(context).center.settings.save(_owner(caller), _settings_key(key), value)
    return JsonResponse({"key": key, "jsonValue": masked(stored)})


@router.post("/admin/settings/testMail")
async def send_test_mail(
    caller: CurrentCaller, context: Context, body: Annotated[Json, Body()]
) -> Response:
    """Mail a test message to the caller with the mail settings in the body (ThingsBoard's
    testMail), so settings can be checked before they are saved. A password left out is
    taken from the stored settings, as the settings form never shows it.
    """
    value = body.get("jsonValue")
    if not isinstance(value, dict):
        raise InvalidArgument("jsonValue must be an object")
    settings = dict(value)
    if not settings.get("password"):
        stored = await _notify(context).center.settings.get(_owner(caller), SettingsKey.MAIL)
        settings["password"] = (stored or {}).get("password")
    config = SmtpConfig.from_wire(settings)
    mail = Mail(
        [caller.email],
        "Test message from IndustryOS",
        "This is a test message: the mail settings of IndustryOS work.",
    )
    try:
        await send_mail(config, mail)
    except DeliveryFailed as exc:  # RetryableFailure included: a test is not retried
        raise InvalidArgument(f"Unable to send mail: {exc}") from None
    return Response(status_code=200)


@router.get("/notification/settings")
async def get_notification_settings(caller: CurrentCaller, context: Context) -> JsonResponse:
    """Delivery method settings (Slack bot token…), secrets left out."""
    center = _notify(context).center
    value = await center.settings.get(_owner(caller), SettingsKey.NOTIFICATIONS)
    return JsonResponse(masked(value or {"deliveryMethodsConfigs": {}}))


@router.post("/notification/settings")
async def save_notification_settings(
    caller: CurrentCaller, context: Context, body: Annotated[Json, Body()]
) -> JsonResponse:
    """Save delivery method settings; a secret left out keeps its stored value."""
    center = _notify(context).center
    stored = await center.settings.save(_owner(caller), SettingsKey.NOTIFICATIONS, body)
    return JsonResponse(masked(stored))


# Targets, templates, rules


@router.post("/notification/{kind}")
async def save_object(
    kind: str, caller: CurrentCaller, context: Context, body: Annotated[Json, Body()]
) -> JsonResponse:
    """Create or update a target, template or rule."""
    saved = await _notify(context).center.catalog.save(_kind(kind), _owner(caller), body)
    return JsonResponse(saved)


@router.get("/notification/{kind}/{object_id}")
async def get_object(
    kind: str, object_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> JsonResponse:
    """One target, template or rule."""
    found = await _notify(context).center.catalog.get(_kind(kind), _owner(caller), object_id)
    return JsonResponse(found)


@router.delete("/notification/{kind}/{object_id}")
async def delete_object(
    kind: str, object_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Response:
    """Delete a target, template or rule."""
    await _notify(context).center.catalog.delete(_kind(kind), _owner(caller), object_id)
    return Response(status_code=200)


@router.get("/notification/{kinds}")
async def list_objects(
    kinds: str,
    caller: CurrentCaller,
    context: Context,
    link: Page,
    notification_types: Annotated[str | None, Query(alias="notificationTypes")] = None,
) -> JsonResponse:
    """A page of targets, templates or rules (``/targets``, ``/templates``, ``/rules``)."""
    kind = _kind(kinds.removesuffix("s")) if kinds.endswith("s") else _kind("")
    filters: dict[str, Any] = {}
    if kind is TEMPLATES and notification_types:
        filters["notification_type"] = notification_types.split(",")[0].strip()
    page = await _notify(context).center.catalog.page(kind, _owner(caller), link, **filters)
    return JsonResponse(page.to_wire(lambda o: o))
