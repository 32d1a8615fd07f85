"""Sans-IO MQTT codec: packets to bytes and back, plus an incremental stream decoder.

``encode(packet, v5)`` and ``decode(first_byte, buf, start, end, v5)`` are pure functions
dispatched through one table per direction (``encoders.py``, ``decoders.py``), each packet
type listed once. Both directions are implemented (a server only needs half) so round trips
can be property-tested.

:class:`StreamDecoder` is what a connection uses: feed it each socket read and iterate the
complete packets. It rejects a packet as soon as its fixed header announces a remaining
length above the limit, without buffering the body, and it refuses a first packet that is
not CONNECT. All malformed input raises :class:`MqttProtocolError` carrying the reason code
to answer with; nothing else escapes (the fuzz tests hold us to that).

Performance: fields are read with slicing and ``struct`` from one buffer per read; the only
per-byte loop is the at most four-byte variable integer.
"""

from __future__ import annotations

from collections.abc import Iterator

from industryos.transport.mqtt import wire
from industryos.transport.mqtt.decoders import DECODERS
from industryos.transport.mqtt.encoders import ENCODERS
from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.packet_types import FIXED_HEADER_FLAGS, PacketType, ProtocolLevel
from industryos.transport.mqtt.packets import Connect, Packet
from industryos.transport.mqtt.reason_codes import ReasonCode

__all__ = ["StreamDecoder", "decode", "encode", "packet_size"]

_V5 = ProtocolLevel.MQTT_5


def decode(first_byte: int, buf: bytes, start: int, end: int, v5: bool) -> Packet:
    """Decode one packet whose fixed header byte is ``first_byte`` and body is buf[start:end]."""
    packet_type, flags = first_byte >> 4, first_byte & 0x0F
    decoder = DECODERS.get(packet_type)
    if decoder is None:
        raise wire.malformed("reserved packet type 0")
    if packet_type != PacketType.PUBLISH and flags != FIXED_HEADER_FLAGS.get(packet_type, 0):
        raise wire.malformed("invalid fixed header flags")
    return decoder(flags, buf, start, end, v5)


def encode(packet: Packet, v5: bool) -> bytes:
    """The wire bytes of ``packet`` for an MQTT 5 (``v5``) or a 3.1/3.1.1 connection."""
    return ENCODERS[type(packet)](packet, v5)


def packet_size(remaining_length: int) -> int:
    """Total size of a packet with this remaining length (fixed header included)."""
    return 1 + len(wire.varint(remaining_length)) + remaining_length


# --- stream decoding -------------------------------------------------------------------


class StreamDecoder:
    """Turns a connection's byte stream into packets; one instance per connection.

    The protocol level is learnt from the CONNECT, so packets that follow it in the same
    read are decoded with the right rules.
    """

    __slots__ = ("_chunks", "_expect_connect", "_have", "_need", "max_remaining_length", "v5")

    def __init__(self, max_remaining_length: int = wire.MAX_VARINT, *, server: bool = True):
        self.max_remaining_length = max_remaining_length
        self.v5 = False
        self._expect_connect = server
        self._chunks: list[bytes] = []
        self._have = 0
        self._need = 0

    def feed(self, data: bytes) -> Iterator[Packet]:
        """Add ``data`` and iterate every packet it completes, in order.

        Complete packets before a malformed one are yielded first; the error is raised when
        iteration reaches it, so nothing valid that arrived earlier is lost.
        """
        if self._chunks:
            self._chunks.append(data)
            self._have += len(data)
            if self._have < self._need:
                return
            data = b"".join(self._chunks)
            self._chunks = []
        buf, pos, size, need = data, 0, len(data), 0
        while pos < size:
            first = buf[pos]
            if self._expect_connect and first != 0x10:
                raise MqttProtocolError(ReasonCode.PROTOCOL_ERROR, "first packet is not CONNECT")
            if size - pos < 2:
                need = 2
                break
            length, start = buf[pos + 1], pos + 2
            if length & 0x80:
                try:
                    length, start = wire.read_varint(buf, pos + 1, size)
                except MqttProtocolError:
                    if size - pos > 4:
                        raise
                    need = size - pos + 1
                    break
            if length > self.max_remaining_length:
                raise MqttProtocolError(
                    ReasonCode.PACKET_TOO_LARGE,
                    f"remaining length {length} above {self.max_remaining_length}",
                )
            end = start + length
            if end > size:
                need = end - pos
                break
            packet = decode(first, buf, start, end, self.v5)
            pos = end
            if self._expect_connect:
                self._expect_connect = False
                self.v5 = isinstance(packet, Connect) and packet.protocol_level == _V5
            yield packet
        if pos < size:
            rest = buf[pos:]
            self._chunks, self._have, self._need = [rest], len(rest), need
