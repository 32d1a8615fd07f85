"""HTTP outcome → delivery outcome, shared by the HTTP channels.

2xx is delivered; 429 and 5xx are worth retrying (the endpoint is busy or down), as is a
connection that failed; any other 4xx is the request's own fault and is not retried.
Error texts name the status, never the URL (a webhook URL is a credential).
"""

from __future__ import annotations

from typing import Any

import httpx

from industryos.notify.errors import DeliveryFailed, RetryableFailure

__all__ = ["post"]


async def post(client: httpx.AsyncClient, url: str, what: str, **kwargs: Any) -> httpx.Response:
    """POST and translate the outcome; ``what`` names the endpoint in errors."""
    try:
        response = await client.post(url, **kwargs)
    except httpx.TransportError as exc:
        raise RetryableFailure(f"{what}: {type(exc).__name__}") from None
    if response.is_success:
        return response
    text = f"{what}: HTTP {response.status_code} {response.reason_phrase}"
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableFailure(text)
    raise DeliveryFailed(text)
