"""The cluster bus interface: fire-and-forget payloads addressed to a subject.

Delivery is at most once, to the subscriptions that exist when a payload is published (a
node that is down misses it, nothing is stored), in publish order for one publisher and
one subject. Each subscription's handler runs one payload at a time; an exception in it is
logged and the subscription goes on. Whatever must survive a crash goes through the durable
queue instead.

Subjects are dot-separated tokens of letters, digits, ``_`` and ``-`` (the NATS rule;
every implementation checks it, so code that works embedded works in a cluster):
:func:`subject_token` turns free text such as a host name into one token.

Errors: :class:`BusError` is the root of everything this package raises (the
implementations translate their client library's errors into it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["Bus", "BusError", "Handler", "Subscription", "check_subject", "subject_token"]

Handler = Callable[[bytes], Awaitable[None]]
"""Called with each payload published to the subscribed subject."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class BusError(Exception):
    """A bus operation failed (bad subject, closed bus, broker unreachable)."""


class Subscription(Protocol):
    """A live subscription; closing it stops its handler from being called."""

    async def close(self) -> None:
        """Unsubscribe (idempotent)."""
        ...


class Bus(Protocol):
    """Publish to and subscribe on subjects, across every node that shares the bus."""

    async def publish(self, subject: str, payload: bytes) -> None:
        """Send ``payload`` to the subscribers of ``subject`` (none is fine)."""
        ...

    async def subscribe(self, subject: str, handler: Handler) -> Subscription:
        """Call ``handler`` with every payload later published to ``subject``."""
        ...

    async def close(self) -> None:
        """Stop every subscription and release the connection."""
        ...


def check_subject(subject: str) -> str:
    """``subject`` when it is dot-separated tokens, else :class:`BusError`."""
    if not subject or not all(_TOKEN.fullmatch(token) for token in subject.split(".")):
        raise BusError(f"invalid bus subject {subject!r}")
    return subject


def subject_token(text: str) -> str:
    """``text`` as one subject token (other characters become ``_``)."""
    return _NOT_TOKEN.sub("_", text) or "_"
