"""Per-connection MQTT session state: QoS handshakes, packet ids, limits and keep-alive.

A :class:`Session` lives exactly as long as its network connection. Sessions are never
persisted (the device API has no use for it, spec §2.1): CONNACK always says
``session_present=0`` and nothing is retransmitted after a reconnect.

The session performs no I/O itself: it writes encoded packets to, and asks for closing
through, a :class:`Link` the connection provides, which keeps it testable without sockets.

States::

    CONNECTED ──(close requested / peer gone)──> CLOSING ──(hooks done)──> CLOSED

Limits enforced here (MQTT 5): our Receive Maximum for client→server QoS 1/2 publishes
(0x93 when exceeded), the client's Receive Maximum and Maximum Packet Size for
server→client publishes, topic aliases (0x94), and keep-alive: no packet for 1.5 times the
keep-alive interval closes the session (0x8D), checked by the connections' shared
:class:`~industryos.transport.mqtt.keepalive.KeepAliveWheel` (no timer per session).

Memory: one session per connected device, so nothing is allocated before it is needed:
the QoS 2 and topic-alias tables, the outbound table and the send quota appear with the
first packet that uses them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, Protocol

from industryos.transport.mqtt import wire
from industryos.transport.mqtt.application import ContextT
from industryos.transport.mqtt.codec import encode
from industryos.transport.mqtt.errors import (
    DeliveryRefused,
    DeliveryTimeout,
    MqttProtocolError,
    PacketTooLarge,
    SessionClosed,
)
from industryos.transport.mqtt.keepalive import KeepAliveWheel, granularity_ms
from industryos.transport.mqtt.packet_types import ProtocolLevel
from industryos.transport.mqtt.packets import (
    NO_PROPERTIES,
    Connect,
    Properties,
    Puback,
    Pubcomp,
    Publish,
    Pubrec,
    Pubrel,
)
from industryos.transport.mqtt.reason_codes import ReasonCode

log = logging.getLogger(__name__)

KEEP_ALIVE_FACTOR = 1.5
_MAX_PACKET_ID = 65_535


class SessionState(StrEnum):
    """Where a session is in its life."""

    CONNECTED = "connected"
    CLOSING = "closing"
    CLOSED = "closed"


class Link(Protocol):
    """The connection as a session sees it."""

    def write(self, data: bytes) -> None:
        """Queue encoded bytes for the peer (coalesced, never blocks)."""

    def close(self, reason: ReasonCode) -> None:
        """Close the connection, telling an MQTT 5 peer ``reason``."""

    async def write_stream(self, head: bytes, pieces: AsyncIterator[bytes], length: int) -> None:
        """Write one packet: ``head``, then ``length`` payload bytes as ``pieces`` arrive."""


@dataclass(slots=True)
class _Outbound:
    """A server→client QoS 1/2 publish waiting for PUBACK, or PUBREC then PUBCOMP."""

    future: asyncio.Future[None]
    qos: int
    released: bool = False
    """QoS 2: PUBREC received and PUBREL sent; PUBCOMP is next."""


@dataclass(frozen=True, slots=True)
class _Limits:
    """Negotiated limits; ``client_*`` come from CONNECT, the others are ours.

    Immutable and shared: nearly every device negotiates the same values, so sessions
    reuse one instance per distinct set (:func:`_shared`) instead of one each.
    """

    receive_maximum: int
    topic_alias_maximum: int
    client_receive_maximum: int = _MAX_PACKET_ID
    client_maximum_packet_size: int | None = None
    delivery_timeout: float = 30.0


_SHARED_LIMITS: dict[_Limits, _Limits] = {}
_SHARED_LIMITS_MAX = 1024


def _shared(limits: _Limits) -> _Limits:
    """The shared instance equal to ``limits`` (bounded: unusual sets stay private)."""
    shared = _SHARED_LIMITS.get(limits)
    if shared is not None:
        return shared
    if len(_SHARED_LIMITS) < _SHARED_LIMITS_MAX:
        _SHARED_LIMITS[limits] = limits
    return limits


class Session(Generic[ContextT]):
    """One connected client, as the application sees it (``publish``, ``disconnect``)."""

    __slots__ = (  # one per device connection: no per-instance __dict__ (RSS per idle device)
        "_aliases",
        "_alive_tick",
        "_last_received",
        "_limits",
        "_link",
        "_loop",
        "_next_packet_id",
        "_outbound",
        "_qos2",
        "_quota_waiting",
        "_send_quota",
        "_unacked",
        "_wheel",
        "client_id",
        "close_reason",
        "context",
        "keep_alive",
        "protocol_level",
        "session_key",
        "state",
        "username",
        "v5",
    )

    def __init__(
        self,
        link: Link,
        connect: Connect,
        context: ContextT,
        *,
        session_key: Hashable | None,
        receive_maximum: int,
        topic_alias_maximum: int,
        delivery_timeout: float,
        keep_alive_wheel: KeepAliveWheel | None = None,
    ) -> None:
        self._link = link
        self.context = context
        """What the application's ``authenticate`` returned for this session."""
        self.session_key = session_key
        self.client_id = connect.client_id
        self.username = connect.username
        self.protocol_level = connect.protocol_level
        self.v5 = connect.protocol_level == ProtocolLevel.MQTT_5
        self.keep_alive = connect.keep_alive
        self.state = SessionState.CONNECTED
        self.close_reason: ReasonCode | None = None
        """Why the session ended: the client's DISCONNECT code (0x00 normally), 0x80 when
        the connection dropped without DISCONNECT, or the code the server closed with."""
        props = connect.properties
        self._limits = _shared(
            _Limits(
                receive_maximum=receive_maximum,
                topic_alias_maximum=topic_alias_maximum if self.v5 else 0,
                client_receive_maximum=props.receive_maximum or _MAX_PACKET_ID,
                client_maximum_packet_size=props.maximum_packet_size,
                delivery_timeout=delivery_timeout,
            )
        )
        self._unacked = 0
        """Client→server QoS 1/2 publishes not yet fully acknowledged."""
        self._qos2: dict[int, bool] | None = None
        """QoS 2 packet id → PUBREC already sent (awaiting PUBREL)."""
        self._aliases: dict[int, str] | None = None
        self._outbound: dict[int, _Outbound] | None = None
        self._send_quota: asyncio.Semaphore | None = None
        self._quota_waiting = 0
        self._next_packet_id = 1
        self._loop = asyncio.get_running_loop()
        self._last_received = self._loop.time()
        self._wheel: KeepAliveWheel | None = None
        self._alive_tick = 0
        if self.keep_alive:
            wheel = keep_alive_wheel
            self._wheel = KeepAliveWheel(self._loop) if wheel is None else wheel
            self._watch(self._last_received + self.keep_alive * KEEP_ALIVE_FACTOR)

    def __repr__(self) -> str:
        return f"<Session {self.client_id!r} v{self.protocol_level} {self.state}>"

    # --- application API ---------------------------------------------------------------

    async def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        *,
        retain: bool = False,
        properties: Properties = NO_PROPERTIES,
        delivery_timeout: float | None = None,
    ) -> None:
        """Send a PUBLISH whether or not the client subscribed (spec §2.3).

        QoS 0 returns once written; QoS 1/2 return when the client's PUBACK/PUBCOMP
        arrives. Raises a :class:`DeliveryError` subclass when the session closes first,
        ``delivery_timeout`` passes, the client refuses it, or it exceeds the client's limit.
        """
        if self.state is not SessionState.CONNECTED:
            raise SessionClosed(f"{self!r} is not connected")
        packet = Publish(topic, payload, qos, retain, False, 0, properties)
        if not qos:
            self._write_publish(packet)
            return
        limit = self._limits.delivery_timeout if delivery_timeout is None else delivery_timeout
        try:
            async with asyncio.timeout(limit):
                quota = await self._acquire_slot()
                try:
                    await self._deliver(packet)
                finally:
                    quota.release()
        except TimeoutError:
            raise DeliveryTimeout(f"no acknowledgement within {limit} s") from None

    async def publish_stream(
        self, topic: str, length: int, pieces: AsyncIterator[bytes], qos: int = 1
    ) -> None:
        """:meth:`publish` for a payload of known ``length`` that arrives in ``pieces``.

        The PUBLISH header (with the length) goes out first, then each piece as it comes,
        under TCP flow control, so a large payload (a whole OTA image) is never in memory
        at once. The delivery timeout covers the acknowledgement, not the transfer.
        """
        if self.state is not SessionState.CONNECTED:
            raise SessionClosed(f"{self!r} is not connected")
        packet = Publish(topic, b"", qos, False, False, 0, NO_PROPERTIES)
        if not qos:
            await self._write_publish_stream(packet, length, pieces)
            return
        limit = self._limits.delivery_timeout
        try:
            async with asyncio.timeout(limit):
                quota = await self._acquire_slot()
        except TimeoutError:
            raise DeliveryTimeout(f"no room to send within {limit} s") from None
        try:
            outbound = self._outbound_table()
            packet.packet_id = self._allocate_packet_id()
            entry = _Outbound(self._loop.create_future(), qos)
            outbound[packet.packet_id] = entry
            try:
                await self._write_publish_stream(packet, length, pieces)
                async with asyncio.timeout(limit):
                    await entry.future
            finally:
                outbound.pop(packet.packet_id, None)
                if entry.future.done() and not entry.future.cancelled():
                    entry.future.exception()  # seen, also when the write failed first
        except TimeoutError:
            raise DeliveryTimeout(f"no acknowledgement within {limit} s") from None
        finally:
            quota.release()

    def disconnect(self, reason: ReasonCode = ReasonCode.ADMINISTRATIVE_ACTION) -> None:
        """Close the session (a DISCONNECT with ``reason`` on MQTT 5); returns at once."""
        self._link.close(reason)

    @property
    def receive_maximum(self) -> int:
        """Our Receive Maximum: client→server QoS 1/2 publishes handled at once."""
        return self._limits.receive_maximum

    @property
    def inflight_out(self) -> int:
        """Server→client QoS 1/2 publishes awaiting their acknowledgement."""
        return 0 if self._outbound is None else len(self._outbound)

    @property
    def inflight_in(self) -> int:
        """Client→server QoS 1/2 publishes not yet fully acknowledged."""
        return self._unacked

    # --- called by the connection --------------------------------------------------------

    def received(self) -> None:
        """Bytes arrived from the client: the keep-alive clock restarts."""
        self._last_received = self._loop.time()

    def accept_publish(self, publish: Publish) -> bool:
        """Check and account an inbound PUBLISH; False for a QoS 2 duplicate to skip."""
        if publish.properties is not NO_PROPERTIES and publish.properties.topic_alias is not None:
            self._resolve_alias(publish, publish.properties.topic_alias)
        elif not publish.topic:
            raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "empty topic and no alias")
        if not publish.qos:
            return True
        qos2 = self._qos2
        if publish.qos == 2 and qos2 is not None and publish.packet_id in qos2:
            if qos2[publish.packet_id]:
                self._write(Pubrec(publish.packet_id))
            return False
        self._unacked += 1
        if self.v5 and self._unacked > self._limits.receive_maximum:
            raise MqttProtocolError(
                ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
                f"more than {self._limits.receive_maximum} unacknowledged publishes",
            )
        if publish.qos == 2:
            if qos2 is None:
                qos2 = self._qos2 = {}
            qos2[publish.packet_id] = False
        return True

    def acknowledge(self, publish: Publish, reason: ReasonCode) -> None:
        """Send the PUBACK/PUBREC for an accepted inbound publish."""
        code = reason if self.v5 else 0
        if publish.qos == 1:
            self._unacked -= 1
            self._write(Puback(publish.packet_id, code))
            return
        qos2 = self._qos2
        assert qos2 is not None  # accept_publish made it
        if reason.is_error:
            qos2.pop(publish.packet_id, None)
            self._unacked -= 1
        else:
            qos2[publish.packet_id] = True
        self._write(Pubrec(publish.packet_id, code))

    def on_pubrel(self, packet: Pubrel) -> None:
        """Client released a QoS 2 publish: complete it."""
        qos2 = self._qos2
        if qos2 is not None and qos2.get(packet.packet_id) is False:
            raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "PUBREL before PUBREC")
        if qos2 is None or qos2.pop(packet.packet_id, None) is None:
            code = ReasonCode.PACKET_IDENTIFIER_NOT_FOUND if self.v5 else 0
            self._write(Pubcomp(packet.packet_id, code))
            return
        self._unacked -= 1
        self._write(Pubcomp(packet.packet_id))

    def on_puback(self, packet: Puback) -> None:
        """Client acknowledged a QoS 1 publish."""
        entry = self._outbound.get(packet.packet_id) if self._outbound is not None else None
        if entry is None or entry.qos != 1:
            log.warning("%r: PUBACK for unknown packet id %d", self, packet.packet_id)
            return
        self._settle(entry, packet.reason_code)

    def on_pubrec(self, packet: Pubrec) -> None:
        """Client received a QoS 2 publish: release it, unless it refused it."""
        entry = self._outbound.get(packet.packet_id) if self._outbound is not None else None
        if entry is None or entry.qos != 2:
            code = ReasonCode.PACKET_IDENTIFIER_NOT_FOUND if self.v5 else 0
            self._write(Pubrel(packet.packet_id, code))
            return
        if packet.reason_code >= 0x80:
            self._settle(entry, packet.reason_code)
            return
        entry.released = True
        self._write(Pubrel(packet.packet_id))

    def on_pubcomp(self, packet: Pubcomp) -> None:
        """Client completed a QoS 2 publish."""
        entry = self._outbound.get(packet.packet_id) if self._outbound is not None else None
        if entry is None or not entry.released:
            log.warning("%r: PUBCOMP for unknown packet id %d", self, packet.packet_id)
            return
        self._settle(entry, packet.reason_code)

    def closing(self, reason: ReasonCode) -> None:
        """The connection is going away: fail pending deliveries, stop the watchdog."""
        if self.state is not SessionState.CONNECTED:
            return
        self.state = SessionState.CLOSING
        self.close_reason = reason
        if self._wheel is not None:
            self._wheel.remove(self, self._alive_tick)
            self._wheel = None
        for entry in self._outbound.values() if self._outbound is not None else ():
            if not entry.future.done():
                entry.future.set_exception(SessionClosed(f"session closed (0x{reason:02X})"))
        if self._send_quota is not None:
            for _ in range(self._quota_waiting):
                self._send_quota.release()  # wake publishers waiting for a slot: see CLOSING

    def closed(self) -> None:
        """Every hook has run; the session is finished."""
        self.state = SessionState.CLOSED

    # --- internals ---------------------------------------------------------------------

    async def _acquire_slot(self) -> asyncio.Semaphore:
        """Wait until the client's Receive Maximum allows one more QoS 1/2 publish; the
        quota to release afterwards."""
        quota = self._send_quota
        if quota is None:
            quota = self._send_quota = asyncio.Semaphore(self._limits.client_receive_maximum)
        self._quota_waiting += 1
        try:
            await quota.acquire()
        finally:
            self._quota_waiting -= 1
        if self.state is not SessionState.CONNECTED:
            quota.release()
            raise SessionClosed(f"{self!r} closed before sending")
        return quota

    def _outbound_table(self) -> dict[int, _Outbound]:
        if self._outbound is None:
            self._outbound = {}
        return self._outbound

    async def _deliver(self, packet: Publish) -> None:
        outbound = self._outbound_table()
        packet.packet_id = self._allocate_packet_id()
        entry = _Outbound(self._loop.create_future(), packet.qos)
        self._write_publish(packet)
        outbound[packet.packet_id] = entry
        try:
            await entry.future
        finally:
            outbound.pop(packet.packet_id, None)

    def _write(self, packet: Puback | Pubrec | Pubrel | Pubcomp) -> None:
        self._link.write(encode(packet, self.v5))

    def _write_publish(self, packet: Publish) -> None:
        data = encode(packet, self.v5)
        limit = self._limits.client_maximum_packet_size
        if limit is not None and len(data) > limit:
            raise PacketTooLarge(f"{len(data)} bytes, the client accepts {limit}")
        self._link.write(data)

    async def _write_publish_stream(
        self, packet: Publish, length: int, pieces: AsyncIterator[bytes]
    ) -> None:
        """The header of ``packet`` announcing ``length`` payload bytes, then the pieces."""
        empty = encode(packet, self.v5)
        _, start = wire.read_varint(empty, 1, len(empty))
        variable = empty[start:]
        if len(variable) + length > wire.MAX_VARINT:
            raise PacketTooLarge(f"{length} payload bytes do not fit one MQTT packet")
        head = empty[:1] + wire.varint(len(variable) + length) + variable
        limit = self._limits.client_maximum_packet_size
        if limit is not None and len(head) + length > limit:
            raise PacketTooLarge(f"{len(head) + length} bytes, the client accepts {limit}")
        await self._link.write_stream(head, pieces, length)

    def _settle(self, entry: _Outbound, reason_code: int) -> None:
        if entry.future.done():
            return
        if reason_code >= 0x80:
            entry.future.set_exception(DeliveryRefused(reason_code))
        else:
            entry.future.set_result(None)

    def _allocate_packet_id(self) -> int:
        packet_id = self._next_packet_id
        outbound = self._outbound_table()
        while packet_id in outbound:
            packet_id = packet_id % _MAX_PACKET_ID + 1
        self._next_packet_id = packet_id % _MAX_PACKET_ID + 1
        return packet_id

    def _resolve_alias(self, publish: Publish, alias: int) -> None:
        if not 0 < alias <= self._limits.topic_alias_maximum:
            raise MqttProtocolError(ReasonCode.TOPIC_ALIAS_INVALID, f"topic alias {alias}")
        if publish.topic:
            if self._aliases is None:
                self._aliases = {}
            self._aliases[alias] = publish.topic
            return
        topic = self._aliases.get(alias) if self._aliases is not None else None
        if topic is None:
            raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, f"undefined topic alias {alias}")
        publish.topic = topic

    def _watch(self, deadline: float) -> None:
        assert self._wheel is not None
        limit = self.keep_alive * KEEP_ALIVE_FACTOR
        self._alive_tick = self._wheel.add(self, deadline, granularity_ms(limit))

    def keep_alive_due(self) -> None:
        """The keep-alive wheel's check: close after 1.5 intervals of silence."""
        if self._wheel is None:
            return
        limit = self.keep_alive * KEEP_ALIVE_FACTOR
        now = self._loop.time()
        idle = now - self._last_received
        if idle < limit:
            self._watch(now + limit - idle)
            return
        self._wheel = None
        log.warning("%r: nothing received for %.1f s, closing", self, idle)
        self._link.close(ReasonCode.KEEP_ALIVE_TIMEOUT)
