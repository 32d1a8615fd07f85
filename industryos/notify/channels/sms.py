"""SMS through an HTTP gateway: Twilio's REST API, or a generic templated HTTP request.

Settings (``sms`` key) are ``{"type": "TWILIO", "accountSid", "accountToken", "numberFrom"}``
(ThingsBoard's shape; ``baseUrl`` overrides ``https://api.twilio.com`` for a test or a
regional edge), or ``{"type": "HTTP", "url", "headers", "bodyTemplate"}`` where the body
template's ``${phoneNumber}`` and ``${message}`` are filled JSON-escaped.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import orjson

from industryos.notify.channels.http import post
from industryos.notify.enums import SettingsKey
from industryos.notify.errors import DeliveryFailed
from industryos.notify.settings import SettingsStore
from industryos.notify.templates import render

__all__ = ["SmsChannel", "send_sms"]

TWILIO_BASE_URL = "https://api.twilio.com"

Sender = Callable[[httpx.AsyncClient, Mapping[str, Any], str, str], Awaitable[None]]


async def _twilio(
    client: httpx.AsyncClient, cfg: Mapping[str, Any], number: str, text: str
) -> None:
    sid, token = cfg.get("accountSid"), cfg.get("accountToken")
    if not sid or not token or not cfg.get("numberFrom"):
        raise DeliveryFailed("Twilio settings need accountSid, accountToken and numberFrom")
    base = str(cfg.get("baseUrl") or TWILIO_BASE_URL).rstrip("/")
    await post(
        client,
        f"{base}/2010-04-01/Accounts/{sid}/Messages.json",
        "Twilio",
        data={"To": number, "From": str(cfg["numberFrom"]), "Body": text},
        auth=(str(sid), str(token)),
    )


def _escape(value: str) -> str:
    return orjson.dumps(value).decode()[1:-1]


async def _http(client: httpx.AsyncClient, cfg: Mapping[str, Any], number: str, text: str) -> None:
    url = cfg.get("url")
    if not isinstance(url, str) or not url:
        raise DeliveryFailed("HTTP SMS settings need url")
    headers = {str(k): str(v) for k, v in (cfg.get("headers") or {}).items()}
    headers.setdefault("Content-Type", "application/json")
    template = str(cfg.get("bodyTemplate") or '{"to": "${phoneNumber}", "text": "${message}"}')
    body = render(template, {"phoneNumber": _escape(number), "message": _escape(text)})
    await post(client, url, "SMS gateway", content=body.encode(), headers=headers)


_PROVIDERS: dict[str, Sender] = {"TWILIO": _twilio, "HTTP": _http}


async def send_sms(
    client: httpx.AsyncClient, cfg: Mapping[str, Any], number: str, text: str
) -> None:
    """Send ``text`` to ``number`` with the provider ``cfg`` names."""
    provider = _PROVIDERS.get(str(cfg.get("type") or "").upper())
    if provider is None:
        raise DeliveryFailed(f"Unsupported SMS provider: {cfg.get('type')}")
    await provider(client, cfg, number, text)


class SmsChannel:
    """SMS to a user's phone with the tenant's (or system) SMS settings."""

    def __init__(self, settings: SettingsStore, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, tenant_id: uuid.UUID, number: str, text: str) -> None:
        """Send ``text`` to ``number``."""
        cfg = await self._settings.effective(tenant_id, SettingsKey.SMS)
        if cfg is None:
            raise DeliveryFailed("SMS settings are not configured")
        await send_sms(self._client, cfg, number, text)
