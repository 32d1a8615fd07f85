"""HTTP long polls as device sessions: one poll waits for exactly one event (spec §3).

While ``GET /attributes/updates`` or ``GET /rpc`` waits, it is a live session in the
:class:`SessionRegistry`, so shared-attribute pushes and server RPCs find it like an MQTT
session. The first event completes the poll; from then on the session says it wants
nothing and refuses further sends with :class:`DeliveryFailed`, so the RPC service picks
another session or reports the call undelivered, and a second update in the same instant
is not silently swallowed by a poll that already has its answer.

Design limit: an RPC counts as delivered when it is handed to the poll's response; if the
device's connection dropped at that moment, it never sees the call (ThingsBoard's HTTP
transport has the same window).
"""

from __future__ import annotations

import asyncio
import uuid
from enum import Enum

from industryos.devices.sessions import DeliveryFailed, RpcRequest

__all__ = ["LongPoll", "LongPollKind", "LongPolls", "PollClosed"]


class LongPollKind(Enum):
    """What a poll waits for."""

    ATTRIBUTES = "attributes"
    RPC = "rpc"


class PollClosed(Exception):
    """The transport stopped while the poll was waiting."""


class LongPoll:
    """One waiting long poll: a :class:`DeviceSession` that takes one event."""

    def __init__(self, kind: LongPollKind) -> None:
        self.kind = kind
        self.session_id = uuid.uuid4()
        self._result: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def __repr__(self) -> str:
        return f"<LongPoll {self.kind.value} {self.session_id}>"

    @property
    def wants_attribute_updates(self) -> bool:
        """True while an attribute poll has no answer yet."""
        return self.kind is LongPollKind.ATTRIBUTES and not self._result.done()

    @property
    def wants_rpc(self) -> bool:
        """True while an RPC poll has no answer yet."""
        return self.kind is LongPollKind.RPC and not self._result.done()

    def _complete(self, body: bytes) -> None:
        if self._result.done():
            raise DeliveryFailed("the long poll already has its answer")
        self._result.set_result(body)

    async def send_attribute_update(self, body: bytes) -> None:
        """Answer an attribute poll with a §1.5 body."""
        if self.kind is not LongPollKind.ATTRIBUTES:
            raise DeliveryFailed("not an attribute poll")
        self._complete(body)

    async def send_rpc_request(self, request: RpcRequest) -> None:
        """Answer an RPC poll with ``{"id", "method", "params"}`` (§1.6)."""
        if self.kind is not LongPollKind.RPC:
            raise DeliveryFailed("not an RPC poll")
        self._complete(request.body(with_id=True))

    def close(self) -> None:
        """End the poll without an event (the transport stops)."""
        if not self._result.done():
            self._result.set_exception(PollClosed())

    async def wait(self, timeout_s: float) -> bytes | None:
        """The event body, or None when ``timeout_s`` passed first.

        Raises :class:`PollClosed` when the transport stopped meanwhile.
        """
        try:
            async with asyncio.timeout(timeout_s):
                return await asyncio.shield(self._result)
        except TimeoutError:
            pass
        if self._result.done():  # the event won the race with the timer
            return self._result.result()
        self._result.cancel()  # wants nothing from now on
        return None


class LongPolls:
    """The polls waiting right now, so stopping the transport can end them."""

    def __init__(self) -> None:
        self._polls: set[LongPoll] = set()

    def open(self, kind: LongPollKind) -> LongPoll:
        """A new poll, tracked until :meth:`done`."""
        poll = LongPoll(kind)
        self._polls.add(poll)
        return poll

    def done(self, poll: LongPoll) -> None:
        """Stop tracking a finished poll."""
        self._polls.discard(poll)

    def close_all(self) -> None:
        """End every waiting poll (their requests get 503)."""
        for poll in list(self._polls):
            poll.close()
        self._polls.clear()

    def __len__(self) -> int:
        return len(self._polls)
