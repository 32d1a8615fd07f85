"""Errors of the notification layer.

NotifyError
 └── DeliveryFailed        a channel could not deliver one message
      ├── RetryableFailure  … but trying again later may work (network, 5xx, 429)
      └── UsageLimitReached … nothing was sent: the monthly maxEmails/maxSms is used up

Configuration mistakes seen through REST are the core errors (``InvalidArgument``…), so
the API translates them like any other.
"""

from __future__ import annotations

__all__ = ["DeliveryFailed", "NotifyError", "RetryableFailure", "UsageLimitReached"]


class NotifyError(Exception):
    """Root of the notification layer's own errors."""


class DeliveryFailed(NotifyError):
    """A channel could not deliver; the message names why (never a secret)."""


class RetryableFailure(DeliveryFailed):
    """A temporary failure: the delivery is retried with backoff."""


class UsageLimitReached(DeliveryFailed):
    """The tenant profile's monthly ``maxEmails``/``maxSms`` is used up; nothing was sent."""
