"""The local bus client: a :class:`~industryos.queue.bus.interface.Bus` via the node's broker.

Every worker process of a node, the broker's own included, reaches the others through a
:class:`LocalBus` (``open_bus("unix:///path/bus.sock")``) connected to the node's
:class:`~industryos.queue.bus.local_broker.LocalBusBroker`.

Delivery is the contract of :mod:`industryos.queue.bus.interface`: at most once, in order
per publisher and subject. A client tells the broker once per subject that it subscribes or
serves and fans a payload out to its own subscriptions (a payload crosses the socket once per
process), and round-robins a request over its own servers of the subject (one that closed
its last server meanwhile hands the request back). A publisher waits while its socket is
full; nothing buffers without bound.

Design limit: no reconnection (a client whose broker is gone raises :class:`BusError`, as the
node's processes go down together).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
from collections.abc import Callable
from typing import TypeVar

from industryos.queue.bus.inbox import HandlerInbox, ResponderTasks, close_all, remove_member
from industryos.queue.bus.interface import (
    BusError,
    BusTimeout,
    BusUnreachable,
    Handler,
    NoResponders,
    Responder,
    ResponderFailed,
    check_subject,
)
from industryos.queue.bus.local_wire import (
    ID_MASK,
    ID_SIZE,
    Frame,
    FramedProtocol,
    Kind,
    Malformed,
    encode,
    ids_field,
    subject_field,
)

__all__ = ["LocalBus"]

log = logging.getLogger(__name__)

_SYNC_TIMEOUT_S = 10.0
"""How long subscribe/serve wait for the broker to confirm before giving up."""
_REMEMBERED_SUBJECTS = 1024
"""Encoded subjects a client keeps (all are forgotten when there are more)."""


class _Connection(FramedProtocol):
    """The client's end of the socket: hands frames, and the loss of it, to its bus."""

    def __init__(
        self, on_frame: Callable[[Frame], None], on_lost: Callable[[Exception | None], None]
    ) -> None:
        super().__init__()
        self._on_frame = on_frame
        self._on_lost = on_lost

    def __repr__(self) -> str:
        return "<local bus broker connection>"

    def frame_received(self, frame: Frame) -> None:
        """Let the bus act on it."""
        self._on_frame(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        """Tell the bus its broker is gone."""
        super().connection_lost(exc)
        self._on_lost(exc)


_Member = TypeVar("_Member", HandlerInbox, ResponderTasks)
"""What a client keeps per subject: its subscriptions, or its servers."""


class LocalBus:
    """A :class:`~industryos.queue.bus.interface.Bus` through the broker of this node."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection = _Connection(self._received, self._lost)
        self._subscriptions: dict[str, list[HandlerInbox]] = {}
        self._servers: dict[str, list[ResponderTasks]] = {}
        self._waiting: dict[int, asyncio.Future[bytes | None]] = {}
        """Request and PING number → its answer (None: no responders)."""
        self._numbers = itertools.count(1)
        self._fields: dict[str, bytes] = {}
        """Subject → its checked frame field (a feed publishes to the same few subjects)."""
        self._closed = False
        self._broken: str | None = None
        """Why the connection is gone, once it is."""
        self._handlers: dict[Kind, Callable[[Frame], None]] = {
            Kind.MESSAGE: self._on_message,
            Kind.ASK: self._on_ask,
            Kind.ANSWER: self._on_answer,
            Kind.NO_RESPONDERS: self._on_no_responders,
            Kind.FAILED: self._on_failed,
            Kind.PONG: self._on_answer,
        }

    @classmethod
    async def connect(cls, path: str) -> LocalBus:
        """Connect to the broker listening on ``path``; :class:`BusError` if none does."""
        bus = cls(path)
        try:
            await asyncio.get_running_loop().create_unix_connection(lambda: bus._connection, path)
        except OSError as exc:
            raise BusUnreachable(f"cannot connect to the local bus at {path}: {exc}") from exc
        return bus

    def _field(self, subject: str) -> bytes:
        """``subject`` checked and encoded, remembered for the next time."""
        field = self._fields.get(subject)
        if field is None:
            field = subject_field(check_subject(subject))
            if len(self._fields) >= _REMEMBERED_SUBJECTS:
                self._fields.clear()
            self._fields[subject] = field
        return field

    def _check_open(self) -> None:
        if self._closed:
            raise BusError("the bus is closed")
        if self._broken is not None:
            raise BusError(self._broken)

    async def publish(self, subject: str, payload: bytes) -> None:
        """Send ``payload`` to the subscribers of ``subject``; waits while the broker lags."""
        self._check_open()
        await self._connection.send(encode(Kind.PUBLISH, self._field(subject), payload))

    async def subscribe(self, subject: str, handler: Handler) -> HandlerInbox:
        """Call ``handler`` with each payload of ``subject``; subscribed once this returns."""
        self._check_open()
        field = self._field(subject)
        subscription = HandlerInbox(subject, handler, self.forget)
        await self._join(self._subscriptions, subscription, encode(Kind.SUBSCRIBE, field))
        return subscription

    def forget(self, subscription: HandlerInbox) -> None:
        """Drop a closed subscription (the broker hears of a subject's last one)."""
        self._leave(self._subscriptions, subscription, Kind.UNSUBSCRIBE)

    async def request(self, subject: str, payload: bytes, timeout_s: float) -> bytes:
        """One server's answer to ``payload`` on ``subject`` (the broker picks the server)."""
        self._check_open()
        fields = (self._field(subject), payload)
        try:
            answer = await self._round_trip(Kind.REQUEST, fields, timeout_s)
        except TimeoutError:
            raise BusTimeout(f"no answer on {subject} within {timeout_s} s") from None
        except ResponderFailed as exc:  # (the broker's frame does not name the subject)
            raise ResponderFailed.of(subject, str(exc)) from None
        if answer is None:
            raise NoResponders(f"nobody serves {subject}")
        return answer

    async def serve(self, subject: str, responder: Responder) -> ResponderTasks:
        """Answer each request of ``subject`` in its own task; served once this returns."""
        self._check_open()
        field = self._field(subject)
        server = ResponderTasks(subject, responder, self.forget_server)
        await self._join(self._servers, server, encode(Kind.SERVE, field))
        return server

    def forget_server(self, server: ResponderTasks) -> None:
        """Drop a closed server (the broker hears of a subject's last one)."""
        self._leave(self._servers, server, Kind.UNSERVE)

    async def _join(self, table: dict[str, list[_Member]], member: _Member, first: bytes) -> None:
        """Add a subscription or server; the broker hears ``first`` for a subject's first
        one, and the call returns once the broker has handled it (closed again on failure)."""
        found = table.setdefault(member.subject, [])
        found.append(member)
        if len(found) == 1:
            self._connection.write(first)
        try:
            await self._sync()
        except BaseException:
            await member.close()
            raise

    def _leave(self, table: dict[str, list[_Member]], member: _Member, last: Kind) -> None:
        """Drop a closed subscription or server; the broker hears ``last`` for a subject's
        last one."""
        if remove_member(table, member.subject, member) and not self._closed:
            self._connection.write(encode(last, self._field(member.subject)))

    async def reply(self, requester: int, request: int, answer: bytes) -> None:
        """Send a server's answer back through the broker."""
        await self._connection.send(encode(Kind.REPLY, ids_field(requester, request), answer))

    async def fail(self, requester: int, request: int, text: str) -> None:
        """Tell the requester, through the broker, that the server failed."""
        frame = encode(Kind.FAIL, ids_field(requester, request), text.encode())
        await self._connection.send(frame)

    async def _sync(self) -> None:
        """Wait until the broker has handled every frame sent before (a PING's PONG)."""
        try:
            await self._round_trip(Kind.PING, (), _SYNC_TIMEOUT_S)
        except TimeoutError:
            raise BusError(f"the local bus broker at {self.path} does not answer") from None

    async def _round_trip(
        self, kind: Kind, fields: tuple[bytes, ...], timeout_s: float
    ) -> bytes | None:
        """Send a frame numbered for its answer and wait for that answer."""
        number = next(self._numbers) & ID_MASK
        frame = encode(kind, ids_field(number), *fields, room=ID_SIZE)  # ASK adds an id
        answer: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        try:
            async with asyncio.timeout(timeout_s):
                await self._connection.send(frame)
                return await answer
        finally:
            self._waiting.pop(number, None)

    def _received(self, frame: Frame) -> None:
        handler = self._handlers.get(frame.kind)
        if handler is None:
            raise Malformed(f"the broker may not send {frame.kind.name}")
        handler(frame)

    def _on_message(self, frame: Frame) -> None:
        subscriptions = self._subscriptions.get(frame.subject)
        if subscriptions:
            payload = bytes(frame.payload)
            for subscription in subscriptions:
                subscription.deliver(payload)

    def _on_ask(self, frame: Frame) -> None:
        servers = self._servers.get(frame.subject)
        if not servers:  # closed meanwhile: the broker asks another server
            self._connection.write(encode(Kind.REFUSE, frame.fields))
            return
        server = servers.pop(0)
        servers.append(server)
        server.answer(
            bytes(frame.payload),
            functools.partial(self.reply, frame.ids[0], frame.ids[1]),
            functools.partial(self.fail, frame.ids[0], frame.ids[1]),
        )

    def _on_answer(self, frame: Frame) -> None:
        self._settle(frame.ids[0], bytes(frame.payload))

    def _on_no_responders(self, frame: Frame) -> None:
        self._settle(frame.ids[0], None)

    def _on_failed(self, frame: Frame) -> None:
        self._settle(frame.ids[0], ResponderFailed(bytes(frame.payload).decode(errors="replace")))

    def _settle(self, number: int, answer: bytes | ResponderFailed | None) -> None:
        waiting = self._waiting.get(number)
        if waiting is not None and not waiting.done():  # else it timed out
            if isinstance(answer, ResponderFailed):
                waiting.set_exception(answer)
            else:
                waiting.set_result(answer)

    def _lost(self, exc: Exception | None) -> None:
        self._broken = f"lost the local bus broker at {self.path}" + (f": {exc}" if exc else "")
        if not self._closed:
            log.warning("%s", self._broken)
        self._fail_waiting(self._broken)

    def _fail_waiting(self, reason: str) -> None:
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(BusError(reason))

    async def close(self) -> None:
        """Stop every subscription and server, then close after sending what is buffered."""
        if self._closed:
            return
        self._closed = True
        await close_all(self._subscriptions, self._servers)
        self._fail_waiting("the bus is closed")
        await self._connection.shut()
