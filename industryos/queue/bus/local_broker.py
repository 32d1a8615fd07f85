"""The local bus broker: routes frames between the worker processes of one node.

A node running several worker processes needs them on one bus (a change made in one worker
must reach the caches of the others), and a single node should not need an external service
such as NATS for that. :class:`LocalBusBroker` runs inside one process of the node (worker
0) and listens on a Unix domain socket; every process, that one included, talks to it
through a :class:`~industryos.queue.bus.local.LocalBus`. The broker routes: a publish to
every client subscribed to its subject, a request to one serving client (round robin) and
its answer back to the requester, "no responders" at once for a subject nobody serves.

A client that disconnects is forgotten with its subscriptions and servers; the requests it
was answering get nothing, so their requesters time out. The broker holds at most
:data:`MAX_BUFFERED` bytes for a client that does not read, past which it drops publishes to
it (counted in :attr:`LocalBusBroker.dropped`, a WARNING per burst); requests and answers are
never dropped.

Design limit: one machine (Unix domain sockets only); access control is the socket file's
permissions.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from collections.abc import Callable

from industryos.queue.bus.inbox import remove_member
from industryos.queue.bus.interface import BusError
from industryos.queue.bus.local_wire import (
    ID_MASK,
    Frame,
    FramedProtocol,
    Kind,
    Malformed,
    encode,
    ids_field,
)

__all__ = ["MAX_BUFFERED", "LocalBusBroker"]

log = logging.getLogger(__name__)

MAX_BUFFERED = 64 * 1024 * 1024
"""Bytes the broker holds for a client that does not read before it drops publishes to it."""


class _Peer(FramedProtocol):
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
    """Routes frames between the :class:`~industryos.queue.bus.local.LocalBus` clients on its
    Unix socket."""

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
            Kind.FAIL: self._fail,
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
        return _Peer(self, next(self._numbers) & ID_MASK)

    def joined(self, peer: _Peer) -> None:
        """A client connected."""
        self._peers[peer.number] = peer

    def left(self, peer: _Peer, exc: Exception | None) -> None:
        """A client disconnected: forget it (requests it was answering get nothing)."""
        self._peers.pop(peer.number, None)
        for subject in peer.subscribed:
            remove_member(self._subscribers, subject, peer)
        for subject in peer.served:
            remove_member(self._servers, subject, peer)
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
        remove_member(self._subscribers, frame.subject, peer)

    def _serve(self, peer: _Peer, frame: Frame) -> None:
        if frame.subject not in peer.served:
            peer.served.add(frame.subject)
            self._servers.setdefault(frame.subject, []).append(peer)

    def _unserve(self, peer: _Peer, frame: Frame) -> None:
        if frame.subject in peer.served:
            peer.served.discard(frame.subject)
            remove_member(self._servers, frame.subject, peer)

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
        self._to_requester(Kind.ANSWER, frame)

    def _fail(self, peer: _Peer, frame: Frame) -> None:
        self._to_requester(Kind.FAILED, frame)

    def _to_requester(self, kind: Kind, frame: Frame) -> None:
        """A server's REPLY or FAIL (requester, request id; payload) goes back as ``kind``."""
        requester = self._peers.get(frame.ids[0])
        if requester is not None:  # else it left: the answer goes nowhere
            requester.write(encode(kind, frame.fields[4:]))

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
