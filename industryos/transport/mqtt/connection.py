"""One client connection as an ``asyncio.Protocol``: reading, dispatch, lifecycle, writes.

An idle device is the common case (100,000 per node), so an idle connection holds no task,
no future, no stream reader/writer and no timer: only this object (slots), its session,
its transport and the decoder. Bytes arrive in :meth:`Connection.data_received`, which
feeds the sans-IO decoder and dispatches every complete packet through ``_HANDLERS``;
work that needs a coroutine is scheduled only when a packet asks for it. Keep-alive is a
float per session checked by the server's :class:`KeepAliveWheel`.

Life of a connection: ``connection_made`` arms the CONNECT timer; the CONNECT starts one
short-lived task that authenticates and sends CONNACK (``handshake.py``; packets that
arrived behind the CONNECT wait, reading paused, and are handled after it); then packets
are dispatched as they come; ``close`` (or the peer leaving) starts the one cleanup task,
``_finish``.

Protocol-level packets (PINGREQ, the QoS handshakes) are answered inline; packets that
need the application (PUBLISH, SUBSCRIBE, UNSUBSCRIBE) go, in arrival order, to the
ordered worker (:mod:`industryos.transport.mqtt.worker`), which exists only while there
is work, so a slow ``on_publish`` never delays PINGRESP. Once ``max_pending_packets`` wait
for the worker, reading pauses (the rest of the last read waits in the decoder's iterator)
and TCP flow control pushes back on the client; reading resumes when there is room.

Everything written during one event-loop iteration goes out in one ``transport.write``.
A streamed publish (:meth:`Connection.write_stream`, whole OTA images) is written piece by
piece, each piece waiting while the transport's buffer is above its high-water mark
(``pause_writing``/``resume_writing``); other packets written meanwhile follow it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from functools import partial
from typing import Any, Generic, Protocol, cast

from industryos.transport.mqtt import handshake
from industryos.transport.mqtt.application import ContextT, MqttApplication, PeerCertificate
from industryos.transport.mqtt.codec import StreamDecoder, encode
from industryos.transport.mqtt.config import MqttConfig
from industryos.transport.mqtt.errors import MqttProtocolError, SessionClosed
from industryos.transport.mqtt.keepalive import KeepAliveWheel
from industryos.transport.mqtt.packets import (
    Auth,
    Disconnect,
    Packet,
    Pingreq,
    Pingresp,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
    Subscribe,
    Unsubscribe,
)
from industryos.transport.mqtt.reason_codes import ReasonCode
from industryos.transport.mqtt.session import Session
from industryos.transport.mqtt.worker import Worker

log = logging.getLogger(__name__)

_PINGRESP = encode(Pingresp(), False)
_CLOSED_BY_PEER = ReasonCode.UNSPECIFIED_ERROR
_PARKED = 1
"""Reading paused: packets wait for CONNACK or for room in the worker's queue."""
_WRITE_FULL = 2
"""Reading paused: the transport's write buffer is above its high-water mark."""


class Registry(Protocol):
    """The server as a connection sees it: session keys (takeover) and open connections."""

    async def take_over(self, key: Hashable, connection: Connection[Any]) -> None:
        """Make ``connection`` the one for ``key``, closing any previous one."""

    def release(self, key: Hashable, connection: Connection[Any]) -> None:
        """Forget ``connection`` under ``key`` if it is still the registered one."""

    def opened(self, connection: Connection[Any]) -> None:
        """``connection`` is established (for TLS: its handshake is done)."""

    def finished(self, connection: Connection[Any]) -> None:
        """``connection`` is closed and every hook has run."""


class Connection(asyncio.Protocol, Generic[ContextT]):
    """Serves one network connection from CONNECT to close."""

    __slots__ = (  # one per device connection: no per-instance __dict__ (RSS per idle device)
        "_app",
        "_blocked",
        "_closing",
        "_config",
        "_decoder",
        "_done",
        "_drain_waiter",
        "_held",
        "_loop",
        "_lost",
        "_lost_waiter",
        "_opening",
        "_out",
        "_parked",
        "_peer_certificate",
        "_registry",
        "_started",
        "_streaming",
        "_timer",
        "_transport",
        "_v5",
        "_wheel",
        "_write_paused",
        "session",
        "worker",
    )

    def __init__(
        self,
        app: MqttApplication[ContextT],
        config: MqttConfig,
        registry: Registry,
        wheel: KeepAliveWheel,
    ) -> None:
        self._app = app
        self._config = config
        self._registry = registry
        self._wheel = wheel
        self._loop = asyncio.get_running_loop()
        """Kept: every write and job asks for it (8 bytes against a lookup per packet)."""
        self._transport: asyncio.Transport | None = None
        self._peer_certificate: PeerCertificate | None = None
        """Held from the TLS handshake until the CONNECT is decided."""
        self._decoder = StreamDecoder(config.max_payload_size)
        self._out: list[bytes] | None = None
        """Bytes written this loop iteration (a flush is scheduled while it is a list)."""
        self._parked: Iterator[Packet] | None = None
        """The rest of a read whose packets wait (CONNACK pending, or the worker is full)."""
        self._held: list[bytes] | None = None
        """Reads that came while parked (a transport may deliver one more after a pause)."""
        self._blocked = 0
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._streaming: asyncio.Lock | None = None
        """Held while a streamed packet is written (created on first use)."""
        self._timer: asyncio.TimerHandle | None = None
        self._opening: asyncio.Task[None] | None = None
        """The handshake task (``handshake.py``) while the CONNECT is being decided."""
        self._closing = False
        self._started = False
        """``on_connect`` was queued, so ``on_disconnect`` is owed."""
        self._lost = False
        self._lost_waiter: asyncio.Future[None] | None = None
        self._v5 = False
        self._done: asyncio.Future[None] | None = None
        self.session: Session[ContextT] | None = None
        self.worker: Worker[ContextT] | None = None
        """The ordered worker, while it has jobs or deliveries (see ``worker.py``)."""

    def __repr__(self) -> str:
        return f"<Connection {self.peer} {self.session!r}>"

    @property
    def peer(self) -> Any:
        """The peer's address (read from the socket: not kept per connection)."""
        transport = self._transport
        return None if transport is None else transport.get_extra_info("peername")

    @property
    def config(self) -> MqttConfig:
        """The listener's settings."""
        return self._config

    @property
    def app(self) -> MqttApplication[ContextT]:
        """The application whose hooks this connection calls."""
        return self._app

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop serving this connection."""
        return self._loop

    @property
    def v5(self) -> bool:
        """The client speaks MQTT 5."""
        return self._v5

    # --- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Accepted (after the TLS handshake): wait ``connect_timeout`` for CONNECT."""
        transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses
        self._transport = transport
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            der = ssl_object.getpeercert(binary_form=True)
            if der:
                self._peer_certificate = PeerCertificate(der)
        self._timer = self._loop.call_later(self._config.connect_timeout, self._connect_timed_out)
        self._registry.opened(self)

    def data_received(self, data: bytes) -> None:
        """Feed the decoder and handle every packet the read completes."""
        session = self.session
        if session is not None:
            session.received()
        if self._closing:
            return
        if self._parked is not None:
            if self._held is None:
                self._held = []
            self._held.append(data)
            return
        self._consume(self._decoder.feed(data))

    def eof_received(self) -> bool | None:
        """The client half-closed: the connection ends (``connection_lost`` follows)."""
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """The socket is gone: wake a waiting stream and close the session."""
        self._lost = True
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(ConnectionResetError("connection lost"))
        if exc is not None:
            log.debug("%r: connection lost: %s", self, exc)
        self.close(_CLOSED_BY_PEER, notify=False)
        lost = self._lost_waiter
        if lost is not None and not lost.done():
            lost.set_result(None)

    def pause_writing(self) -> None:
        """The peer does not keep up: stop reading from it until it does."""
        self._write_paused = True
        self._block(_WRITE_FULL)

    def resume_writing(self) -> None:
        """The write buffer drained below the low-water mark."""
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self._unblock(_WRITE_FULL)

    # --- reading -----------------------------------------------------------------------

    def _consume(self, packets: Iterator[Packet]) -> None:
        """Handle ``packets`` in order until one has to wait (then park the rest)."""
        try:
            for packet in packets:
                session = self.session
                if session is None:
                    handshake.begin(self, packet)
                    self._park(packets)
                    return
                handler = _HANDLERS.get(type(packet))
                if handler is None:
                    raise MqttProtocolError(
                        ReasonCode.PROTOCOL_ERROR, f"unexpected {type(packet).__name__}"
                    )
                if handler(self, session, packet):
                    self._park(packets)
                    return
                if self._closing:
                    return
        except MqttProtocolError as exc:
            if self.session is None:
                log.warning("%r: bad CONNECT: %s", self, exc)
                handshake.refuse_malformed(self, exc)
            else:
                log.warning("%r: %s", self, exc)
            self.close(exc.reason_code)
        except Exception:
            log.exception("%r: internal fault", self)
            self.close(ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)

    def _park(self, packets: Iterator[Packet]) -> None:
        self._parked = packets
        self._block(_PARKED)

    def unpark(self) -> None:
        """Handle what waited (room came, or CONNACK was sent), then read again."""
        packets = self._parked
        if packets is None or self._closing:
            return
        self._parked = None
        self._consume(packets)
        while self._parked is None and self._held and not self._closing:
            self._consume(self._decoder.feed(self._held.pop(0)))
        if self._parked is None:
            self._held = None
            self._unblock(_PARKED)

    def _block(self, reason: int) -> None:
        transport = self._transport
        if not self._blocked and transport is not None and not transport.is_closing():
            transport.pause_reading()
        self._blocked |= reason

    def _unblock(self, reason: int) -> None:
        if not self._blocked & reason:
            return
        self._blocked &= ~reason
        transport = self._transport
        if not self._blocked and transport is not None and not transport.is_closing():
            transport.resume_reading()

    # --- lifecycle ---------------------------------------------------------------------

    def close(self, reason: ReasonCode, *, notify: bool = True) -> None:
        """Start closing: tell an MQTT 5 client ``reason`` (if ``notify``), then hang up."""
        if self._closing:
            return
        if self.session is not None:
            self.session.closing(reason)
            if notify and self._v5:
                self.write(encode(Disconnect(reason), True))
        self._closing = True
        self._parked = self._held = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._flush()
        if self._transport is not None:
            self._transport.close()
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(SessionClosed(f"{self!r} is closing"))
        self._loop.create_task(self._finish())

    async def wait_closed(self) -> None:
        """Wait until the connection is fully finished (all hooks have run)."""
        if self._done is None:
            self._done = self._loop.create_future()
        if self._done.done():
            return
        await asyncio.shield(self._done)

    def _transport_done(self) -> bool:
        return self._lost or self._transport is None

    def _connect_timed_out(self) -> None:
        self._timer = None
        log.warning("%r: no CONNECT within %.1f s", self, self._config.connect_timeout)
        self.close(_CLOSED_BY_PEER, notify=False)

    async def _finish(self) -> None:
        """Let the worker hand over what was read, tell the application, release the key."""
        timeout = self._config.close_timeout
        opening = self._opening
        if opening is not None and not opening.done():
            done, _ = await asyncio.wait((opening,), timeout=timeout)
            if not done:
                log.warning("%r: CONNECT still being decided after %.1f s", self, timeout)
                opening.cancel()
        session = self.session
        if self.worker is not None:
            await self.worker.finish()
        if session is not None:
            if self._started:
                await self._notify_disconnect(session)
            session.closed()
            if session.session_key is not None:
                self._registry.release(session.session_key, self)
        if not self._transport_done():
            lost = self._lost_waiter = self._loop.create_future()
            try:
                async with asyncio.timeout(timeout):
                    await lost
            except TimeoutError:
                log.debug("%r: the socket did not close in time", self)
                assert self._transport is not None
                self._transport.abort()
        self._registry.finished(self)
        if self._done is None:
            self._done = self._loop.create_future()
        if not self._done.done():
            self._done.set_result(None)

    async def _notify_disconnect(self, session: Session[ContextT]) -> None:
        try:
            reason = session.close_reason
            await self._app.on_disconnect(session, _CLOSED_BY_PEER if reason is None else reason)
        except Exception:
            log.exception("%r: on_disconnect failed", self)

    # --- writing -----------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue bytes; everything queued in one loop iteration is sent in one write."""
        if self._closing:
            return
        out = self._out
        if out is None:
            self._out = [data]
            self._loop.call_soon(self._flush)
        else:
            out.append(data)

    async def write_stream(self, head: bytes, pieces: AsyncIterator[bytes], length: int) -> None:
        """Write one packet: ``head``, then exactly ``length`` bytes from ``pieces``.

        What was queued before goes first; packets written meanwhile are held and follow
        the streamed one, so no packet's bytes interleave. Each piece waits while the
        transport's buffer is full (at most ``delivery_timeout`` per piece). A packet that
        cannot be finished (the source ends early or fails, the peer stalls or leaves)
        closes the connection, since the stream cannot continue after half a packet.
        """
        if self._streaming is None:
            self._streaming = asyncio.Lock()
        lock = self._streaming
        await lock.acquire()
        try:
            if self._closing or self._transport is None:
                raise SessionClosed(f"{self!r} is closing")
            transport = self._transport
            sent = 0
            try:
                transport.write(b"".join((*(self._out or ()), head)))  # what was queued first
                if self._out is not None:
                    self._out.clear()
                async for piece in pieces:
                    if self._closing:
                        raise SessionClosed(f"{self!r} closed during a streamed publish")
                    sent += len(piece)
                    if sent > length:
                        raise ValueError(f"streamed payload longer than {length} bytes")
                    transport.write(piece)
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
            if self._out is not None and not self._closing:
                self._flush()  # what was held back while streaming

    async def _drain(self) -> None:
        """Wait until the transport takes more; a peer that stalls or leaves ends the session."""
        if self._lost:
            raise SessionClosed(f"{self!r}: connection lost")
        if not self._write_paused:
            return
        waiter = self._drain_waiter = self._loop.create_future()
        try:
            async with asyncio.timeout(self._config.delivery_timeout):
                await waiter
        except (OSError, TimeoutError) as exc:
            log.warning("%r: peer stopped taking a streamed publish: %r", self, exc)
            raise SessionClosed(f"{self!r}: {exc!r}") from exc
        finally:
            self._drain_waiter = None

    def _flush(self) -> None:
        if self._streaming is not None and self._streaming.locked():
            return  # a streamed packet is being written; this follows it
        out, self._out = self._out, None
        transport = self._transport
        if out and transport is not None and not transport.is_closing():
            transport.write(out[0] if len(out) == 1 else b"".join(out))

    def send(self, packet: Packet) -> None:
        """Encode ``packet`` for this client's protocol level and write it."""
        self.write(encode(packet, self._v5))

    # --- connected: one handler per packet type ----------------------------------------

    def _on_publish(self, session: Session[ContextT], publish: Publish) -> bool:
        if session.accept_publish(publish):
            return Worker.enqueue(self, session, publish)
        return False

    def _on_subscribe(self, session: Session[ContextT], packet: Subscribe) -> bool:
        return Worker.enqueue(self, session, partial(Worker.subscribe, self, session, packet))

    def _on_unsubscribe(self, session: Session[ContextT], packet: Unsubscribe) -> bool:
        return Worker.enqueue(self, session, partial(Worker.unsubscribe, self, session, packet))

    def _on_pingreq(self, packet: Pingreq) -> bool:
        self.write(_PINGRESP)
        return False

    def _on_disconnect(self, packet: Disconnect) -> bool:
        try:
            reason = ReasonCode(packet.reason_code)
        except ValueError:
            raise MqttProtocolError(
                ReasonCode.PROTOCOL_ERROR, "unknown DISCONNECT reason"
            ) from None
        log.debug("%r: client disconnected (0x%02X)", self, reason)
        self.close(reason, notify=False)
        return False

    def _on_auth(self, packet: Auth) -> bool:
        raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "AUTH without an auth method")


Handler = Callable[[Connection[Any], Session[Any], Any], bool]


def _ack(method: Callable[[Session[Any], Any], None]) -> Handler:
    """A session acknowledgement handler as a table entry (never parks)."""

    def handle(connection: Connection[Any], session: Session[Any], packet: Packet) -> bool:
        method(session, packet)
        return False

    return handle


_HANDLERS: dict[type[Packet], Handler] = {
    Publish: Connection._on_publish,
    Puback: _ack(Session.on_puback),
    Pubrec: _ack(Session.on_pubrec),
    Pubrel: _ack(Session.on_pubrel),
    Pubcomp: _ack(Session.on_pubcomp),
    Subscribe: Connection._on_subscribe,
    Unsubscribe: Connection._on_unsubscribe,
    Pingreq: lambda c, s, p: c._on_pingreq(p),
    Disconnect: lambda c, s, p: c._on_disconnect(p),
    Auth: lambda c, s, p: c._on_auth(p),
}
"""Every packet type a client may send once connected, and who handles it; a handler
returns True when the packet was queued and reading must pause (the worker is full)."""
