"""The bus between the worker processes of one node: a broker on a Unix socket, no server.

A node running several worker processes needs them on one bus (a change made in one worker
must reach the caches of the others), and a single node should not need an external service
such as NATS for that. :class:`LocalBusBroker` runs inside one process of the node (worker
0) and listens on a Unix domain socket; every process, that one included, talks to it
through a :class:`LocalBus` (``open_bus("unix:///path/bus.sock")``). The broker routes: a
publish to every client subscribed to its subject, a request to one serving client (round
robin) and its answer back to the requester, "no responders" at once for a subject nobody
serves.

Delivery is the contract of :mod:`industryos.queue.bus.interface`: at most once, in order
per publisher and subject. A client tells the broker once per subject that it subscribes or
serves and fans a payload out to its own subscriptions (a payload crosses the socket once per
process), and round-robins a request over its own servers of the subject (one that closed
its last server meanwhile hands the request back). A client that disconnects is forgotten
with its subscriptions and servers; the requests it was answering get nothing, so their
requesters time out. Nothing buffers without bound: a publisher waits while its socket is
full, and the broker holds at most :data:`MAX_BUFFERED` bytes for a client that does not
read, past which it drops publishes to it (counted in :attr:`LocalBusBroker.dropped`, a
WARNING per burst); requests and answers are never dropped. Frames queued in one loop
iteration are written together, so a burst costs a few system calls.

Wire format: a frame is a 4-byte big-endian length (of what follows), a 1-byte :class:`Kind`,
then that kind's fields in this order: its 4-byte ids, a subject (2-byte length, ASCII), the
payload (the rest of the frame). A frame longer than :data:`MAX_FRAME`, or one that does not
decode, closes that client's connection with a WARNING; the other clients carry on.

Design limit: one machine (Unix domain sockets only); access control is the socket file's
permissions; no reconnection (a client whose broker is gone raises :class:`BusError`, as the
node's processes go down together). Debt: the codec, the broker and the client share this
module (split it along its ``# ---`` lines when it grows); the client's subscription and
server classes repeat :mod:`.memory`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import os
import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar, cast

from industryos.queue.bus.interface import (
    BusError,
    BusTimeout,
    Handler,
    NoResponders,
    Responder,
    check_subject,
)

__all__ = [
    "MAX_BUFFERED",
    "MAX_FRAME",
    "Frame",
    "Kind",
    "LocalBus",
    "LocalBusBroker",
    "Malformed",
    "decode",
    "encode",
    "ids_field",
    "subject_field",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_FRAME = 64 * 1024 * 1024
"""The largest frame (kind and fields) either side accepts: 64 MiB."""
MAX_BUFFERED = 64 * 1024 * 1024
"""Bytes the broker holds for a client that does not read before it drops publishes to it."""

_SYNC_TIMEOUT_S = 10.0
"""How long subscribe/serve wait for the broker to confirm before giving up."""
_FLUSH_SIZE = 64 * 1024
"""Queued bytes that are written at once rather than at the end of the loop iteration."""
_REMEMBERED_SUBJECTS = 1024
"""Encoded subjects a client keeps (all are forgotten when there are more)."""
_CLOSE_GRACE_S = 1.0
"""How long closing waits for buffered frames to leave before aborting the connection."""

_LENGTH = struct.Struct(">I")
_HEAD = struct.Struct(">IB")
_SUBJECT_SIZE = struct.Struct(">H")
_IDS = {count: struct.Struct(">" + "I" * count) for count in range(3)}
_ID_MASK = 0xFFFFFFFF


# --- wire -------------------------------------------------------------------------------


class Kind(enum.IntEnum):
    """A frame's kind; the comment lists its fields."""

    # client → broker
    SUBSCRIBE = 1  # subject
    UNSUBSCRIBE = 2  # subject
    SERVE = 3  # subject
    UNSERVE = 4  # subject
    PUBLISH = 5  # subject, payload
    REQUEST = 6  # request id; subject, payload
    REPLY = 7  # requester, request id; payload
    REFUSE = 8  # requester, request id; subject, payload (the ASK, handed back)
    PING = 9  # token
    # broker → client
    MESSAGE = 10  # subject, payload
    ASK = 11  # requester, request id; subject, payload
    ANSWER = 12  # request id; payload
    NO_RESPONDERS = 13  # request id
    PONG = 14  # token


_LAYOUTS: dict[Kind, tuple[int, bool, bool]] = {
    Kind.SUBSCRIBE: (0, True, False),
    Kind.UNSUBSCRIBE: (0, True, False),
    Kind.SERVE: (0, True, False),
    Kind.UNSERVE: (0, True, False),
    Kind.PUBLISH: (0, True, True),
    Kind.REQUEST: (1, True, True),
    Kind.REPLY: (2, False, True),
    Kind.REFUSE: (2, True, True),
    Kind.PING: (1, False, False),
    Kind.MESSAGE: (0, True, True),
    Kind.ASK: (2, True, True),
    Kind.ANSWER: (1, False, True),
    Kind.NO_RESPONDERS: (1, False, False),
    Kind.PONG: (1, False, False),
}
"""Kind → (how many 4-byte ids, has a subject, has a payload)."""
_BY_BYTE = {
    int(kind): (kind, _IDS[ids], subject, payload)
    for kind, (ids, subject, payload) in _LAYOUTS.items()
}
"""A frame's kind byte → its kind, the struct of its ids, has a subject, has a payload."""


class Malformed(Exception):
    """A frame that does not decode (the connection that sent it is closed)."""


class Frame(NamedTuple):
    """A decoded frame; its views point into the received bytes (copy what is kept)."""

    kind: Kind
    ids: tuple[int, ...]
    subject: str
    payload: memoryview
    fields: memoryview
    """Everything after the kind byte, for forwarding without re-encoding."""


def encode(kind: Kind, *fields: bytes | memoryview, room: int = 0) -> bytes:
    """One frame of ``kind`` carrying encoded ``fields``; :class:`BusError` if it would exceed
    the limit once the broker adds ``room`` bytes to it."""
    size = 1
    for field in fields:
        size += len(field)
    if size + room > MAX_FRAME:
        raise BusError(f"a {kind.name} frame of {size} bytes exceeds {MAX_FRAME} bytes")
    return b"".join((_HEAD.pack(size, kind), *fields))


def subject_field(subject: str) -> bytes:
    """``subject`` as a frame field (a checked subject is ASCII)."""
    raw = subject.encode("ascii")
    if len(raw) > 0xFFFF:
        raise BusError(f"bus subject of {len(raw)} characters is too long")
    return _SUBJECT_SIZE.pack(len(raw)) + raw


def ids_field(*ids: int) -> bytes:
    """``ids`` as a frame field."""
    return _IDS[len(ids)].pack(*ids)


def decode(body: memoryview) -> Frame:
    """The frame whose kind and fields are ``body``; :class:`Malformed` if it is not one."""
    layout = _BY_BYTE.get(body[0])
    if layout is None:
        raise Malformed(f"unknown frame kind {body[0]}")
    kind, ids_struct, has_subject, has_payload = layout
    offset = 1 + ids_struct.size
    subject = ""
    try:
        ids = ids_struct.unpack_from(body, 1)
        if has_subject:
            (size,) = _SUBJECT_SIZE.unpack_from(body, offset)
            offset += 2 + size
            if offset > len(body):
                raise Malformed(f"{kind.name} subject past the frame's end")
            subject = str(body[offset - size : offset], "ascii")
    except struct.error:
        raise Malformed(f"{kind.name} frame too short") from None
    except UnicodeDecodeError:
        raise Malformed(f"{kind.name} subject is not ASCII") from None
    if not has_payload and offset != len(body):
        raise Malformed(f"{kind.name} frame has {len(body) - offset} stray bytes")
    return Frame(kind, ids, subject, body[offset:], body[1:])


class _Framed(asyncio.Protocol):
    """One end of a connection: splits what arrives into frames, writes whole frames."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._partial: list[bytes] = []
        self._partial_size = 0
        self._need = _LENGTH.size
        """Bytes of the incomplete frame, from its start, needed before it is decoded."""
        self._writable = asyncio.Event()
        self._writable.set()
        self._out: list[bytes] = []
        self._out_size = 0
        self._flush_soon: asyncio.Handle | None = None

    def frame_received(self, frame: Frame) -> None:
        """Handle one frame (:class:`Malformed` closes the connection)."""
        raise NotImplementedError

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        """Handle every frame ``data`` completes; keep the incomplete rest."""
        if self.transport is None or self.transport.is_closing():
            return
        if self._partial:
            self._partial.append(data)
            self._partial_size += len(data)
            if self._partial_size < self._need:
                return  # a large frame arriving: join its pieces once
            data = b"".join(self._partial)
            self._partial.clear()
        try:
            done = self._split(data)
        except Malformed as exc:
            log.warning("local bus: closing %r: %s", self, exc)
            self._partial.clear()
            self.transport.close()
            return
        if done < len(data):
            self._partial.append(data[done:])
            self._partial_size = len(data) - done

    def _split(self, data: bytes) -> int:
        """Handle the whole frames at the start of ``data``; where the incomplete rest begins."""
        view = memoryview(data)
        offset, size = 0, len(data)
        while size - offset >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(data, offset)
            if not 0 < length <= MAX_FRAME:
                raise Malformed(f"frame length {length} (the limit is {MAX_FRAME})")
            start = offset + _LENGTH.size
            end = start + length
            if end > size:
                self._need = end - offset
                return offset
            self.frame_received(decode(view[start:end]))
            offset = end
        self._need = _LENGTH.size
        return offset

    def pause_writing(self) -> None:
        """The peer does not keep up: senders wait."""
        self._writable.clear()

    def resume_writing(self) -> None:
        """The write buffer drained."""
        self._writable.set()

    def connection_lost(self, exc: Exception | None) -> None:
        """Wake senders and closers."""
        self._writable.set()
        if not self.closed.done():
            self.closed.set_result(None)

    def write(self, frame: bytes) -> None:
        """Queue ``frame`` (never waits); what this loop iteration queued goes out together,
        so a burst of small frames costs a few system calls, not one each."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if len(frame) >= _FLUSH_SIZE:
            self._flush()
            transport.write(frame)
            return
        self._out.append(frame)
        self._out_size += len(frame)
        if self._out_size >= _FLUSH_SIZE:
            self._flush()
        elif self._flush_soon is None:
            self._flush_soon = asyncio.get_running_loop().call_soon(self._flush_later)

    def _flush_later(self) -> None:
        self._flush_soon = None
        self._flush()

    def _flush(self) -> None:
        """Hand the queued frames to the transport."""
        if not self._out:
            return
        out, self._out, self._out_size = self._out, [], 0
        if self.transport is not None and not self.transport.is_closing():
            self.transport.writelines(out)  # uvloop writes them in one call, without a join

    async def send(self, frame: bytes) -> None:
        """Queue ``frame``, waiting while the peer does not keep up; :class:`BusError` if lost."""
        if self.transport is None or self.transport.is_closing():
            raise BusError("the connection to the local bus broker is closed")
        self.write(frame)
        if not self._writable.is_set():
            await self._writable.wait()

    def buffered(self) -> int:
        """Bytes queued and not yet sent."""
        held = 0 if self.transport is None else self.transport.get_write_buffer_size()
        return held + self._out_size

    async def shut(self) -> None:
        """Close after sending what is buffered, aborting after a grace period."""
        if self.transport is None:
            return
        self._flush()
        self.transport.close()
        try:
            async with asyncio.timeout(_CLOSE_GRACE_S):
                await asyncio.shield(self.closed)
        except TimeoutError:
            self.transport.abort()
            await self.closed


# --- broker -----------------------------------------------------------------------------


class _Peer(_Framed):
    """One client's connection, as the broker sees it."""

    def __init__(self, broker: LocalBusBroker, number: int) -> None:
        super().__init__()
        self.broker = broker
        self.number = number
        self.subscribed: set[str] = set()
        self.served: set[str] = set()
        self.dropping = False

    def __repr__(self) -> str:
        return f"<local bus client {self.number}>"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register with the broker."""
        super().connection_made(transport)
        self.broker.joined(self)

    def frame_received(self, frame: Frame) -> None:
        """Let the broker route it."""
        self.broker.route(self, frame)

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop this client's subscriptions and servers."""
        super().connection_lost(exc)
        self.broker.left(self, exc)


class LocalBusBroker:
    """Routes frames between the :class:`LocalBus` clients connected to its Unix socket."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.dropped = 0
        """Publishes not delivered to a client that was not reading."""
        self._server: asyncio.AbstractServer | None = None
        self._inode = 0
        self._numbers = itertools.count(1)
        self._peers: dict[int, _Peer] = {}
        self._subscribers: dict[str, list[_Peer]] = {}
        self._servers: dict[str, list[_Peer]] = {}
        self._routes: dict[Kind, Callable[[_Peer, Frame], None]] = {
            Kind.SUBSCRIBE: self._subscribe,
            Kind.UNSUBSCRIBE: self._unsubscribe,
            Kind.SERVE: self._serve,
            Kind.UNSERVE: self._unserve,
            Kind.PUBLISH: self._publish,
            Kind.REQUEST: self._request,
            Kind.REPLY: self._reply,
            Kind.REFUSE: self._refuse,
            Kind.PING: self._ping,
        }

    @classmethod
    async def start(cls, path: str) -> LocalBusBroker:
        """Listen on ``path`` (a stale socket file is replaced, a live broker's is not)."""
        broker = cls(path)
        if await _listening(path):
            raise BusError(f"a local bus broker already listens on {path}")
        try:
            broker._server = await asyncio.get_running_loop().create_unix_server(
                broker._accept, path
            )
            broker._inode = os.stat(path).st_ino
        except OSError as exc:
            raise BusError(f"cannot listen for the local bus on {path}: {exc}") from exc
        log.debug("local bus broker listening on %s", path)
        return broker

    @property
    def clients(self) -> int:
        """Connected clients."""
        return len(self._peers)

    def subscribers(self, subject: str) -> int:
        """Clients subscribed to ``subject``."""
        return len(self._subscribers.get(subject, ()))

    def servers(self, subject: str) -> int:
        """Clients serving ``subject``."""
        return len(self._servers.get(subject, ()))

    def _accept(self) -> _Peer:
        return _Peer(self, next(self._numbers) & _ID_MASK)

    def joined(self, peer: _Peer) -> None:
        """A client connected."""
        self._peers[peer.number] = peer

    def left(self, peer: _Peer, exc: Exception | None) -> None:
        """A client disconnected: forget it (requests it was answering get nothing)."""
        self._peers.pop(peer.number, None)
        for subject in peer.subscribed:
            _remove(self._subscribers, subject, peer)
        for subject in peer.served:
            _remove(self._servers, subject, peer)
        log.debug("local bus: %r left (%s)", peer, exc or "closed")

    def route(self, peer: _Peer, frame: Frame) -> None:
        """Act on one frame from ``peer``."""
        route = self._routes.get(frame.kind)
        if route is None:
            raise Malformed(f"a client may not send {frame.kind.name}")
        try:
            route(peer, frame)
        except BusError as exc:  # a request too large to forward: LocalBus sends none
            raise Malformed(str(exc)) from None

    def _subscribe(self, peer: _Peer, frame: Frame) -> None:
        if frame.subject not in peer.subscribed:
            peer.subscribed.add(frame.subject)
            self._subscribers.setdefault(frame.subject, []).append(peer)

    def _unsubscribe(self, peer: _Peer, frame: Frame) -> None:
        peer.subscribed.discard(frame.subject)
        _remove(self._subscribers, frame.subject, peer)

    def _serve(self, peer: _Peer, frame: Frame) -> None:
        if frame.subject not in peer.served:
            peer.served.add(frame.subject)
            self._servers.setdefault(frame.subject, []).append(peer)

    def _unserve(self, peer: _Peer, frame: Frame) -> None:
        if frame.subject in peer.served:
            peer.served.discard(frame.subject)
            _remove(self._servers, frame.subject, peer)

    def _publish(self, peer: _Peer, frame: Frame) -> None:
        targets = self._subscribers.get(frame.subject)
        if not targets:
            return
        message = encode(Kind.MESSAGE, frame.fields)  # the same fields as the PUBLISH
        for target in targets:
            if target.buffered() > MAX_BUFFERED:
                if not target.dropping:
                    log.warning("local bus: %r does not read, dropping publishes", target)
                target.dropping = True
                self.dropped += 1
                continue
            target.dropping = False
            target.write(message)

    def _request(self, peer: _Peer, frame: Frame) -> None:
        self._ask(peer.number, frame.ids[0], frame.subject, frame.fields)

    def _refuse(self, peer: _Peer, frame: Frame) -> None:
        """``peer`` stopped serving the subject meanwhile: ask another server."""
        self._unserve(peer, frame)
        self._ask(frame.ids[0], frame.ids[1], frame.subject, frame.fields[4:])

    def _ask(self, requester: int, request: int, subject: str, fields: memoryview) -> None:
        """Hand a request (``fields``: its id, subject, payload) to the next server."""
        servers = self._servers.get(subject)
        if not servers:
            asker = self._peers.get(requester)
            if asker is not None:
                asker.write(encode(Kind.NO_RESPONDERS, ids_field(request)))
            return
        server = servers.pop(0)
        servers.append(server)
        server.write(encode(Kind.ASK, ids_field(requester), fields))

    def _reply(self, peer: _Peer, frame: Frame) -> None:
        requester = self._peers.get(frame.ids[0])
        if requester is not None:  # else it left: the answer goes nowhere
            requester.write(encode(Kind.ANSWER, frame.fields[4:]))

    def _ping(self, peer: _Peer, frame: Frame) -> None:
        peer.write(encode(Kind.PONG, frame.fields))

    async def close(self) -> None:
        """Stop listening and disconnect every client (their buses raise BusError then)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        await asyncio.gather(*(peer.shut() for peer in list(self._peers.values())))
        await server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            if os.stat(self.path).st_ino == self._inode:  # not a successor's socket
                os.unlink(self.path)


def _remove(table: dict[str, list[T]], subject: str, member: T) -> bool:
    """Remove ``member`` from ``table[subject]``; whether that left the subject with none."""
    members = table.get(subject)
    if members is None or member not in members:
        return False
    members.remove(member)
    if members:
        return False
    del table[subject]
    return True


async def _listening(path: str) -> bool:
    """Whether a process accepts connections on ``path`` (a stale socket file refuses)."""
    try:
        _, writer = await asyncio.open_unix_connection(path)
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


# --- client -----------------------------------------------------------------------------


class _Connection(_Framed):
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


class _Subscription:
    """One subscription: an inbox and the task that feeds its handler, in order."""

    def __init__(self, bus: LocalBus, subject: str, handler: Handler) -> None:
        self._bus = bus
        self.subject = subject
        self._handler = handler
        self._inbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"bus {subject}")

    def deliver(self, payload: bytes) -> None:
        self._inbox.put_nowait(payload)

    async def _run(self) -> None:
        while True:
            payload = await self._inbox.get()
            try:
                await self._handler(payload)
            except Exception:
                log.error("bus handler of %s failed", self.subject, exc_info=True)

    async def close(self) -> None:
        """Unsubscribe; payloads not yet handled are dropped."""
        self._bus.forget(self)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class _Server:
    """One server of a subject: each request answered by the responder in its own task."""

    def __init__(self, bus: LocalBus, subject: str, responder: Responder) -> None:
        self._bus = bus
        self.subject = subject
        self._responder = responder
        self._tasks: set[asyncio.Task[None]] = set()

    def answer(self, requester: int, request: int, payload: bytes) -> None:
        """Answer a request in a task of its own."""
        task = asyncio.get_running_loop().create_task(self._run(requester, request, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, requester: int, request: int, payload: bytes) -> None:
        try:
            result = await self._responder(payload)
        except Exception:  # the requester times out, as with the other buses
            log.error("bus responder of %s failed", self.subject, exc_info=True)
            return
        try:
            await self._bus.reply(requester, request, result)
        except BusError as exc:
            log.warning("bus answer on %s not sent: %s", self.subject, exc)

    async def close(self) -> None:
        """Stop serving; requests being answered finish (their answers still go out)."""
        self._bus.forget_server(self)

    async def cancel(self) -> None:
        """Stop serving and cancel the requests being answered (the bus is closing)."""
        self._bus.forget_server(self)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class LocalBus:
    """A :class:`~industryos.queue.bus.interface.Bus` through the broker of this node."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._connection = _Connection(self._received, self._lost)
        self._subscriptions: dict[str, list[_Subscription]] = {}
        self._servers: dict[str, list[_Server]] = {}
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
            Kind.PONG: self._on_answer,
        }

    @classmethod
    async def connect(cls, path: str) -> LocalBus:
        """Connect to the broker listening on ``path``; :class:`BusError` if none does."""
        bus = cls(path)
        try:
            await asyncio.get_running_loop().create_unix_connection(lambda: bus._connection, path)
        except OSError as exc:
            raise BusError(f"cannot connect to the local bus at {path}: {exc}") from exc
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

    async def subscribe(self, subject: str, handler: Handler) -> _Subscription:
        """Call ``handler`` with each payload of ``subject``; subscribed once this returns."""
        self._check_open()
        field = self._field(subject)
        subscription = _Subscription(self, subject, handler)
        found = self._subscriptions.setdefault(subject, [])
        found.append(subscription)
        if len(found) == 1:
            self._connection.write(encode(Kind.SUBSCRIBE, field))
        try:
            await self._sync()
        except BaseException:
            await subscription.close()
            raise
        return subscription

    def forget(self, subscription: _Subscription) -> None:
        """Drop a closed subscription (the broker hears of a subject's last one)."""
        subject = subscription.subject
        if _remove(self._subscriptions, subject, subscription) and not self._closed:
            self._connection.write(encode(Kind.UNSUBSCRIBE, self._field(subject)))

    async def request(self, subject: str, payload: bytes, timeout_s: float) -> bytes:
        """One server's answer to ``payload`` on ``subject`` (the broker picks the server)."""
        self._check_open()
        fields = (self._field(subject), payload)
        try:
            answer = await self._round_trip(Kind.REQUEST, fields, timeout_s)
        except TimeoutError:
            raise BusTimeout(f"no answer on {subject} within {timeout_s} s") from None
        if answer is None:
            raise NoResponders(f"nobody serves {subject}")
        return answer

    async def serve(self, subject: str, responder: Responder) -> _Server:
        """Answer each request of ``subject`` in its own task; served once this returns."""
        self._check_open()
        field = self._field(subject)
        server = _Server(self, subject, responder)
        found = self._servers.setdefault(subject, [])
        found.append(server)
        if len(found) == 1:
            self._connection.write(encode(Kind.SERVE, field))
        try:
            await self._sync()
        except BaseException:
            await server.close()
            raise
        return server

    def forget_server(self, server: _Server) -> None:
        """Drop a closed server (the broker hears of a subject's last one)."""
        subject = server.subject
        if _remove(self._servers, subject, server) and not self._closed:
            self._connection.write(encode(Kind.UNSERVE, self._field(subject)))

    async def reply(self, requester: int, request: int, answer: bytes) -> None:
        """Send a server's answer back through the broker."""
        await self._connection.send(encode(Kind.REPLY, ids_field(requester, request), answer))

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
        number = next(self._numbers) & _ID_MASK
        frame = encode(kind, ids_field(number), *fields, room=_IDS[1].size)  # ASK adds an id
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
        server.answer(frame.ids[0], frame.ids[1], bytes(frame.payload))

    def _on_answer(self, frame: Frame) -> None:
        self._settle(frame.ids[0], bytes(frame.payload))

    def _on_no_responders(self, frame: Frame) -> None:
        self._settle(frame.ids[0], None)

    def _settle(self, number: int, answer: bytes | None) -> None:
        waiting = self._waiting.get(number)
        if waiting is not None and not waiting.done():  # else it timed out
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
        for subscriptions in list(self._subscriptions.values()):
            for subscription in list(subscriptions):
                await subscription.close()
        for servers in list(self._servers.values()):
            for server in list(servers):
                await server.cancel()
        self._fail_waiting("the bus is closed")
        await self._connection.shut()
