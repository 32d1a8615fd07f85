"""WEBHOOK: the notification as one JSON POST, with the target's headers.

Body: ``{"subject", "text", "notificationType", "tenantId", "requestId", "info"}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

import httpx

from industryos.notify.channels.http import post
from industryos.notify.targets import WebhookRecipient
from industryos.notify.templates import Rendered

__all__ = ["WebhookChannel"]


class WebhookChannel:
    """POSTs notifications to HTTP endpoints."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(
        self,
        recipient: WebhookRecipient,
        content: Rendered,
        *,
        tenant_id: uuid.UUID,
        request_id: uuid.UUID,
        notification_type: str,
        info: Mapping[str, str],
    ) -> None:
        """POST ``content`` to the target's URL."""
        body = {
            "subject": content.subject,
            "text": content.body,
            "notificationType": notification_type,
            "tenantId": str(tenant_id),
            "requestId": str(request_id),
            "info": dict(info),
        }
        await post(
            self._client, recipient.url, "Webhook", json=body, headers=dict(recipient.headers)
        )
