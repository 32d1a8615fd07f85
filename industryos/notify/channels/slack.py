"""SLACK: ``chat.postMessage`` with a bot token, or an incoming webhook.

The bot token comes from the notification settings
(``deliveryMethodsConfigs.SLACK.botToken``; ``baseUrl`` overrides ``https://slack.com/api``).
Slack answers 200 with ``{"ok": false, "error": …}`` for most failures: ``ratelimited``
and internal errors are retried, the rest (``channel_not_found``, ``invalid_auth``) are not.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from industryos.notify.channels.http import post
from industryos.notify.enums import DeliveryMethod, SettingsKey
from industryos.notify.errors import DeliveryFailed, RetryableFailure
from industryos.notify.settings import SettingsStore
from industryos.notify.targets import SlackRecipient

__all__ = ["SlackChannel", "post_message"]

SLACK_API = "https://slack.com/api"
_RETRYABLE = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable"})


async def post_message(
    client: httpx.AsyncClient, token: str, channel: str, text: str, base_url: str = SLACK_API
) -> None:
    """``chat.postMessage`` to ``channel`` (id or name)."""
    response = await post(
        client,
        f"{base_url.rstrip('/')}/chat.postMessage",
        "Slack",
        json={"channel": channel, "text": text},
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        answer: Any = response.json()
    except ValueError:
        raise DeliveryFailed("Slack: unreadable answer") from None
    if not isinstance(answer, Mapping) or not answer.get("ok"):
        error = str(answer.get("error") if isinstance(answer, Mapping) else "unknown")
        raise (RetryableFailure if error in _RETRYABLE else DeliveryFailed)(f"Slack: {error}")


class SlackChannel:
    """Posts a notification's text to a Slack target."""

    def __init__(self, settings: SettingsStore, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, tenant_id: uuid.UUID, recipient: SlackRecipient, text: str) -> None:
        """Post ``text`` to the target's webhook or conversation."""
        if recipient.webhook_url is not None:
            await post(self._client, recipient.webhook_url, "Slack webhook", json={"text": text})
            return
        raw = await self._settings.effective(tenant_id, SettingsKey.NOTIFICATIONS) or {}
        configs = raw.get("deliveryMethodsConfigs") or {}
        slack = configs.get(DeliveryMethod.SLACK.value) or {}
        token = slack.get("botToken")
        if not token:
            raise DeliveryFailed("Slack bot token is not configured")
        channel = recipient.conversation_id or recipient.conversation_name or ""
        await post_message(
            self._client, str(token), channel, text, str(slack.get("baseUrl") or SLACK_API)
        )
