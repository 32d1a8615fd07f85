"""One client connection: CONNECT handshake, the reader loop, ordered hooks, coalesced writes.

Reading top to bottom (mqttools' ``serve_forever`` shape): read CONNECT, authenticate,
CONNACK; then the reader loop dispatches each packet through ``_HANDLERS``; then
one cleanup block. Protocol-level packets (PINGREQ, the QoS handshakes) are answered
inline by the reader; packets that need the application (PUBLISH, SUBSCRIBE,
UNSUBSCRIBE) go, in arrival order, to the connection's worker task (which exists only
while there is work, so an idle connection holds no task). So a slow
``on_publish`` (waiting for the durable queue) never delays PINGRESP or the client's
acknowledgements of our publishes. Once ``max_pending_packets`` wait for the worker, the
reader stops reading and TCP flow control pushes back on the client.

Publishes pipeline: the worker runs each ``on_publish`` as a task and starts the next one
as soon as the previous has reached an ordered point (:mod:`industryos.queue.ordering`:
its messages have their place in the durable queue and it only waits for the group
commit) or has finished. So the queue sees one client's messages in arrival order, and
a client with many publishes in flight has them made durable by the same group commit
instead of one commit each. Each delivery waits for the one before it before it answers,
so PUBACK/PUBREC also go out in arrival order. At most the session's Receive Maximum
deliveries are in flight; SUBSCRIBE and UNSUBSCRIBE wait until they have all finished.

Everything written during one event-loop iteration goes out in one ``transport.write``.
A streamed publish (:meth:`Connection.write_stream`, whole OTA images) is written piece by
piece under flow control; other packets written meanwhile wait and follow it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Hashable
from functools import partial
from typing import Any, Generic, Protocol

from industryos.queue.ordering import pipelined
from industryos.transport.mqtt.application import (
    Accepted,
    ContextT,
    MqttApplication,
    PeerCertificate,
    PublishResult,
    Refused,
)
from industryos.transport.mqtt.codec import StreamDecoder, encode, packet_size
from industryos.transport.mqtt.config import MqttConfig
from industryos.transport.mqtt.errors import MqttProtocolError, SessionClosed
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import (
    NO_PROPERTIES,
    Auth,
    Connack,
    Connect,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Suback,
    Subscribe,
    Unsuback,
    Unsubscribe,
)
from industryos.transport.mqtt.reason_codes import ReasonCode, v3_connack_code, v3_suback_code
from industryos.transport.mqtt.session import Session

log = logging.getLogger(__name__)

_READ_SIZE = 65_536
_PINGRESP = encode(Pingresp(), False)
_CLOSED_BY_PEER = ReasonCode.UNSPECIFIED_ERROR
_HOOK_FAILED = PublishResult(ack=None, disconnect=ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
Job = Callable[[], Awaitable[None]]


class Registry(Protocol):
    """Where sessions register under the application's session key (the server)."""

    async def take_over(self, key: Hashable, connection: Connection[Any]) -> None:
        """Make ``connection`` the one for ``key``, closing any previous one."""

    def release(self, key: Hashable, connection: Connection[Any]) -> None:
        """Forget ``connection`` under ``key`` if it is still the registered one."""


class Connection(Generic[ContextT]):
    """Serves one network connection from CONNECT to close."""

    __slots__ = (  # one per device connection: no per-instance __dict__ (RSS per idle device)
        "_app",
        "_app_closed",
        "_closing",
        "_config",
        "_decoder",
        "_deliveries",
        "_done",
        "_finished",
        "_flush_scheduled",
        "_job_room",
        "_jobs",
        "_loop",
        "_out",
        "_peer_certificate",
        "_reader",
        "_registry",
        "_room",
        "_started",
        "_streaming",
        "_tail",
        "_v5",
        "_worker",
        "_writer",
        "peer",
        "session",
    )

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        app: MqttApplication[ContextT],
        config: MqttConfig,
        registry: Registry,
        peer_certificate: PeerCertificate | None = None,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._app = app
        self._config = config
        self._registry = registry
        self._peer_certificate = peer_certificate
        self._loop = asyncio.get_running_loop()
        self._decoder = StreamDecoder(config.max_payload_size)
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._streaming: asyncio.Lock | None = None
        """Held while a streamed packet is written (created on first use)."""
        self._closing = False
        self._app_closed = False
        self._v5 = False
        self._jobs: deque[Job | Publish] | None = None
        """Created with the first job, dropped when the worker runs dry (a deque is 760 B)."""
        self._job_room: asyncio.Future[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._started = False
        self._tail: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._room: asyncio.Future[None] | None = None
        self._finished = False
        self._done: asyncio.Future[None] | None = None
        self.session: Session[ContextT] | None = None
        self.peer = writer.get_extra_info("peername")

    def __repr__(self) -> str:
        return f"<Connection {self.peer} {self.session!r}>"

    # --- lifecycle ---------------------------------------------------------------------

    async def serve(self) -> None:
        """Run the connection to its end; never raises."""
        packets = self._packets()
        try:
            session = await self._open(packets)
            if session is not None:
                await self._run(session, packets)
        except MqttProtocolError as exc:
            log.warning("%r: %s", self, exc)
            self.close(exc.reason_code)
        except OSError as exc:
            log.debug("%r: connection lost: %s", self, exc)
            self.close(_CLOSED_BY_PEER, notify=False)
        except Exception:
            log.exception("%r: internal fault", self)
            self.close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
        finally:
            await packets.aclose()
            await self._finish()

    def close(self, reason: ReasonCode, *, notify: bool = True) -> None:
        """Start closing: tell an MQTT 5 client ``reason`` (if ``notify``), then hang up."""
        if self._closing:
            return
        if self.session is not None:
            self.session.closing(reason)
            if notify and self._v5:
                self._out.append(encode(Disconnect(reason), True))
        self._closing = True
        self._flush()
        self._writer.close()
        self._reader.feed_eof()

    async def wait_closed(self) -> None:
        """Wait until the connection is fully finished (all hooks have run)."""
        if self._finished:
            return
        if self._done is None:
            self._done = self._loop.create_future()
        await asyncio.shield(self._done)

    # --- writing -----------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue bytes; everything queued in one loop iteration is sent in one write."""
        if self._closing:
            return
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    async def write_stream(self, head: bytes, pieces: AsyncIterator[bytes], length: int) -> None:
        """Write one packet: ``head``, then exactly ``length`` bytes from ``pieces``.

        What was queued before goes first; packets written meanwhile are held and follow
        the streamed one, so no packet's bytes interleave. Each piece waits for the socket
        to drain (at most ``delivery_timeout`` per piece). A packet that cannot be finished
        (the source ends early or fails, the peer stalls or leaves) closes the connection,
        since the stream cannot continue after half a packet.
        """
        if self._streaming is None:
            self._streaming = asyncio.Lock()
        lock = self._streaming
        await lock.acquire()
        try:
            if self._closing:
                raise SessionClosed(f"{self!r} is closing")
            sent = 0
            try:
                self._writer.write(b"".join((*self._out, head)))  # what was queued first
                self._out.clear()
                async for piece in pieces:
                    if self._closing:
                        raise SessionClosed(f"{self!r} closed during a streamed publish")
                    sent += len(piece)
                    if sent > length:
                        raise ValueError(f"streamed payload longer than {length} bytes")
                    self._writer.write(piece)
                    await self._drain()
                if sent != length:
                    raise ValueError(f"streamed payload ended at {sent} of {length} bytes")
            except (asyncio.CancelledError, SessionClosed):
                self.close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, notify=False)
                raise
            except Exception as exc:
                log.error("%r: streamed publish failed after %d bytes", self, sent, exc_info=True)
                self.close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR, notify=False)
                raise SessionClosed(f"{self!r}: streamed publish failed") from exc
        finally:
            lock.release()
            self._flush()  # what was held back while streaming

    async def _drain(self) -> None:
        """Wait until the socket takes more; a peer that stalls or leaves ends the session."""
        try:
            async with asyncio.timeout(self._config.delivery_timeout):
                await self._writer.drain()
        except (OSError, TimeoutError) as exc:
            log.warning("%r: peer stopped taking a streamed publish: %r", self, exc)
            raise SessionClosed(f"{self!r}: {exc!r}") from exc

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._streaming is not None and self._streaming.locked():
            return  # a streamed packet is being written; this follows it
        if self._out and not self._writer.transport.is_closing():
            self._writer.write(b"".join(self._out))
        self._out.clear()

    def _send(self, packet: Packet) -> None:
        self.write(encode(packet, self._v5))

    # --- CONNECT -----------------------------------------------------------------------

    async def _packets(self) -> AsyncGenerator[Packet, None]:
        read, feed = self._reader.read, self._decoder.feed
        while data := await read(_READ_SIZE):
            if self.session is not None:
                self.session.received()
            for packet in feed(data):
                yield packet

    async def _open(self, packets: AsyncIterator[Packet]) -> Session[ContextT] | None:
        try:
            async with asyncio.timeout(self._config.connect_timeout):
                connect = await anext(packets)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            log.warning("%r: no CONNECT within %.1f s", self, self._config.connect_timeout)
            return None
        except MqttProtocolError as exc:
            log.warning("%r: bad CONNECT: %s", self, exc)
            self._refuse_malformed(exc)
            return None
        if not isinstance(connect, Connect):
            raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "first packet is not CONNECT")
        self._v5 = connect.protocol_level == ProtocolLevel.MQTT_5
        return await self._authenticate(connect)

    def _refuse_malformed(self, exc: MqttProtocolError) -> None:
        """CONNACK for a CONNECT we cannot accept, in the format its level understands."""
        level = exc.protocol_level
        if exc.reason_code == ReasonCode.UNSUPPORTED_PROTOCOL_VERSION and level is not None:
            self._v5 = level > ProtocolLevel.MQTT_5
            self._refuse(ReasonCode.UNSUPPORTED_PROTOCOL_VERSION)
        elif level == ProtocolLevel.MQTT_5:
            self._v5 = True
            self._refuse(exc.reason_code)

    def _refuse(self, reason: ReasonCode) -> None:
        code = reason if self._v5 else v3_connack_code(reason)
        self._send(Connack(False, code))
        self.close(reason, notify=False)

    async def _authenticate(self, connect: Connect) -> Session[ContextT] | None:
        if connect.properties.authentication_method is not None:
            log.warning("%r: enhanced authentication is not supported", self)
            self._refuse(ReasonCode.BAD_AUTHENTICATION_METHOD)
            return None
        try:
            result = await self._app.authenticate(connect, self._peer_certificate)
        except Exception:
            log.exception("%r: authenticate failed", self)
            self._refuse(ReasonCode.SERVER_UNAVAILABLE)
            return None
        if isinstance(result, Refused):
            log.warning("%r: CONNECT refused: %s", self, result.reason_code.name)
            self._refuse(result.reason_code)
            return None
        return await self._accept(connect, result)

    async def _accept(
        self, connect: Connect, accepted: Accepted[ContextT]
    ) -> Session[ContextT] | None:
        if self._closing:
            return None
        config = self._config
        max_payload = min(
            accepted.max_payload_size or config.max_payload_size, config.max_payload_size
        )
        receive_maximum = min(accepted.receive_maximum or config.receive_maximum, 65_535)
        self._decoder.max_remaining_length = max_payload
        assigned = None
        if self._v5 and not connect.client_id:
            assigned = connect.client_id = f"ios-{secrets.token_hex(8)}"
        session = Session(
            self,
            connect,
            accepted.context,
            session_key=accepted.session_key,
            receive_maximum=receive_maximum,
            topic_alias_maximum=config.topic_alias_maximum,
            delivery_timeout=config.delivery_timeout,
        )
        self.session = session
        if accepted.session_key is not None:
            await self._registry.take_over(accepted.session_key, self)
        if self._closing:
            return None
        properties = NO_PROPERTIES
        if self._v5:
            asked_expiry = connect.properties.session_expiry_interval
            properties = Properties(
                session_expiry_interval=0 if asked_expiry else None,
                assigned_client_identifier=assigned,
                receive_maximum=receive_maximum,
                topic_alias_maximum=config.topic_alias_maximum or None,
                maximum_packet_size=packet_size(max_payload),
            )
        self._send(Connack(False, ReasonCode.SUCCESS, properties))
        log.debug("%r: connected", self)
        return session

    # --- connected ---------------------------------------------------------------------

    async def _run(self, session: Session[ContextT], packets: AsyncIterator[Packet]) -> None:
        self._started = True
        self._enqueue(partial(self._app.on_connect, session))
        handlers = _HANDLERS
        async for packet in packets:
            handler = handlers.get(type(packet))
            if handler is None:
                raise MqttProtocolError(
                    ReasonCode.PROTOCOL_ERROR, f"unexpected {type(packet).__name__}"
                )
            pending = handler(self, session, packet)
            if pending is not None:
                await pending
            if self._closing:
                return
        self.close(_CLOSED_BY_PEER, notify=False)

    def _on_publish(self, session: Session[ContextT], publish: Publish) -> Awaitable[None] | None:
        if session.accept_publish(publish):
            return self._enqueue(publish)
        return None

    def _on_subscribe(
        self, session: Session[ContextT], packet: Subscribe
    ) -> Awaitable[None] | None:
        return self._enqueue(partial(self._subscribe, session, packet))

    def _on_unsubscribe(
        self, session: Session[ContextT], packet: Unsubscribe
    ) -> Awaitable[None] | None:
        return self._enqueue(partial(self._unsubscribe, session, packet))

    def _on_pingreq(self, packet: Pingreq) -> None:
        self.write(_PINGRESP)

    def _on_disconnect(self, packet: Disconnect) -> None:
        try:
            reason = ReasonCode(packet.reason_code)
        except ValueError:
            raise MqttProtocolError(
                ReasonCode.PROTOCOL_ERROR, "unknown DISCONNECT reason"
            ) from None
        log.debug("%r: client disconnected (0x%02X)", self, reason)
        self.close(reason, notify=False)

    def _on_auth(self, packet: Auth) -> None:
        raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "AUTH without an auth method")

    def _enqueue(self, job: Job | Publish) -> Awaitable[None] | None:
        """Queue ``job`` for the worker (started on demand); a future when the queue is full."""
        jobs = self._jobs
        if jobs is None:
            jobs = self._jobs = deque()
        jobs.append(job)
        if self._worker is None:
            assert self.session is not None
            self._worker = self._loop.create_task(self._work(self.session))
        if len(jobs) < self._config.max_pending_packets:
            return None
        self._job_room = self._loop.create_future()
        return self._job_room

    # --- the ordered worker ------------------------------------------------------------

    async def _work(self, session: Session[ContextT]) -> None:
        """Run queued hooks in arrival order, publishes pipelined; exit when none is left.

        The worker only exists while there is work: an idle connection holds no task.
        """
        jobs, limit = self._jobs, self._config.max_pending_packets
        assert jobs is not None
        try:
            while jobs:
                job = jobs.popleft()
                room = self._job_room
                if room is not None and len(jobs) < limit and not room.done():
                    room.set_result(None)
                if self._app_closed:
                    continue
                if type(job) is Publish:
                    self._tail = await self._start_delivery(session, job, self._tail)
                    continue
                assert not isinstance(job, Publish)
                if self._deliveries:
                    await self._settled()
                self._tail = None
                try:
                    await job()
                except Exception:
                    log.exception("%r: application hook failed", self)
                    self._app_close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
        finally:
            self._worker = None
            if not jobs:
                self._jobs = None

    async def _start_delivery(
        self, session: Session[ContextT], publish: Publish, previous: asyncio.Task[None] | None
    ) -> asyncio.Task[None]:
        """Start ``on_publish``; return once it reached its ordered point or finished."""
        while len(self._deliveries) >= session.receive_maximum:
            self._room = self._loop.create_future()
            await self._room
        point = self._loop.create_future()

        def reached() -> None:
            if not point.done():
                point.set_result(None)

        task = self._loop.create_task(
            self._deliver(session, publish, previous), context=pipelined(reached)
        )
        self._deliveries.add(task)
        task.add_done_callback(partial(self._delivered, reached))
        await point
        return task

    def _delivered(self, reached: Callable[[], None], task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        reached()
        room = self._room
        if room is not None and not room.done():
            room.set_result(None)

    async def _settled(self) -> None:
        """Wait until every delivery in flight has finished."""
        while self._deliveries:
            await asyncio.wait(list(self._deliveries))

    def _app_close(self, reason: ReasonCode) -> None:
        """The application ends the session: its remaining packets are not handled."""
        self._app_closed = True
        self.close(reason)

    async def _deliver(
        self, session: Session[ContextT], publish: Publish, previous: asyncio.Task[None] | None
    ) -> None:
        """One publish through the application; answered after the one before it."""
        try:
            result: PublishResult = await self._app.on_publish(session, publish)
        except Exception:
            log.exception("%r: application hook failed", self)
            result = _HOOK_FAILED
        if previous is not None and not previous.done():
            await asyncio.wait((previous,))
        if self._app_closed:
            return
        if publish.qos and result.ack is not None:
            session.acknowledge(publish, result.ack)
        if result.disconnect is not None:
            self._app_close(result.disconnect)

    async def _subscribe(self, session: Session[ContextT], packet: Subscribe) -> None:
        codes = list(await self._app.on_subscribe(session, packet.subscriptions))
        if len(codes) != len(packet.subscriptions):
            raise ValueError(f"on_subscribe returned {len(codes)} codes for {packet!r}")
        if not self._v5:
            codes = [v3_suback_code(code) for code in codes]
        self._send(Suback(packet.packet_id, codes))

    async def _unsubscribe(self, session: Session[ContextT], packet: Unsubscribe) -> None:
        codes = list(await self._app.on_unsubscribe(session, packet.topic_filters))
        if len(codes) != len(packet.topic_filters):
            raise ValueError(f"on_unsubscribe returned {len(codes)} codes for {packet!r}")
        self._send(Unsuback(packet.packet_id, codes if self._v5 else []))

    # --- cleanup -----------------------------------------------------------------------

    async def _finish(self) -> None:
        """Let the worker hand over what was read, tell the application, release the key."""
        self.close(_CLOSED_BY_PEER, notify=False)
        session = self.session
        timeout = self._config.close_timeout
        if self._started:
            try:
                async with asyncio.timeout(timeout):
                    while (worker := self._worker) is not None:
                        await asyncio.wait((worker,))
                    await self._settled()
            except TimeoutError:
                log.warning("%r: application hooks still busy after %.1f s", self, timeout)
                if self._worker is not None:
                    self._worker.cancel()
                for task in self._deliveries:
                    task.cancel()
        if session is not None:
            if self._started:
                await self._notify_disconnect(session)
            session.closed()
            if session.session_key is not None:
                self._registry.release(session.session_key, self)
        try:
            async with asyncio.timeout(timeout):
                await self._writer.wait_closed()
        except (OSError, TimeoutError) as exc:
            log.debug("%r: closing the socket: %r", self, exc)
            self._writer.transport.abort()
        self._finished = True
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def _notify_disconnect(self, session: Session[ContextT]) -> None:
        try:
            reason = session.close_reason
            await self._app.on_disconnect(session, _CLOSED_BY_PEER if reason is None else reason)
        except Exception:
            log.exception("%r: on_disconnect failed", self)


Handler = Callable[[Connection[Any], Session[Any], Any], Awaitable[None] | None]

_HANDLERS: dict[type[Packet], Handler] = {
    Publish: Connection._on_publish,
    Puback: lambda c, s, p: s.on_puback(p),
    Pubrec: lambda c, s, p: s.on_pubrec(p),
    Pubrel: lambda c, s, p: s.on_pubrel(p),
    Pubcomp: lambda c, s, p: s.on_pubcomp(p),
    Subscribe: Connection._on_subscribe,
    Unsubscribe: Connection._on_unsubscribe,
    Pingreq: lambda c, s, p: c._on_pingreq(p),
    Disconnect: lambda c, s, p: c._on_disconnect(p),
    Auth: lambda c, s, p: c._on_auth(p),
}
"""Every packet type a client may send once connected, and who handles it (one table for
all connections: a per-connection table of bound methods cost ~1 KiB per connection)."""
