"""The cluster bus interface: fire-and-forget payloads addressed to a subject.

Delivery is at most once, to the subscriptions that exist when a payload is published (a
node that is down misses it, nothing is stored), in publish order for one publisher and
one subject. Each subscription's handler runs one payload at a time; an exception in it is
logged and the subscription goes on. Whatever must survive a crash goes through the durable
queue instead.

Subjects are dot-separated tokens of letters, digits, ``_`` and ``-`` (the NATS rule;
every implementation checks it, so code that works embedded works in a cluster):
:func:`subject_token` turns free text such as a host name into one token.

Requests (:meth:`Bus.request` / :meth:`Bus.serve`) add one answer to that model: a request
goes to exactly one of the subject's servers and waits for its answer, and a subject nobody
serves fails at once with :class:`NoResponders` (so a caller can tell "nobody holds this"
from "slow"). Each request is served in its own task, so a slow one delays no other.

Errors: :class:`BusError` is the root of everything this package raises (the
implementations translate their client library's errors into it).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Protocol

from industryos.start_refused import StartRefused

__all__ = [
    "Bus",
    "BusError",
    "BusTimeout",
    "BusUnreachable",
    "Handler",
    "NoResponders",
    "Responder",
    "Subscription",
    "check_subject",
    "subject_token",
]

Handler = Callable[[bytes], Awaitable[None]]
"""Called with each payload published to the subscribed subject."""
Responder = Callable[[bytes], Awaitable[bytes]]
"""Called with each request sent to the served subject; returns the answer."""

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class BusError(Exception):
    """A bus operation failed (bad subject, closed bus, broker unreachable)."""


class BusUnreachable(BusError, StartRefused):
    """The bus cannot be opened: a URL of no supported kind, or nothing answers at it (a
    node cannot start without its bus: the command line says so in one line)."""


class NoResponders(BusError):
    """A request's subject has no server at all (nobody on the bus holds it)."""


class BusTimeout(BusError):
    """A request got no answer in time (its server is slow, or died meanwhile)."""


MAX_FAILURE_TEXT = 500
"""Characters of a failed responder's exception sent back to the requester."""


class ResponderFailed(BusError):
    """A request's server raised instead of answering: its requester hears so at once (with
    the exception's type and message) rather than waiting out its timeout."""

    @classmethod
    def of(cls, subject: str, text: str) -> ResponderFailed:
        """The error a requester of ``subject`` raises for the server's ``text``."""
        return cls(f"the server of {subject} failed: {text}")


def failure_text(exc: BaseException) -> str:
    """What a failed responder sends back: the exception's type and message, bounded."""
    return f"{type(exc).__name__}: {exc}"[:MAX_FAILURE_TEXT]


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

    async def request(self, subject: str, payload: bytes, timeout_s: float) -> bytes:
        """One server's answer to ``payload``; :class:`NoResponders` when ``subject`` has no
        server, :class:`ResponderFailed` when its server raised, :class:`BusTimeout` when
        none answered within ``timeout_s``."""
        ...

    async def serve(self, subject: str, responder: Responder) -> Subscription:
        """Answer requests to ``subject`` with ``responder``; several servers of one subject
        share its requests (each goes to one of them)."""
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
