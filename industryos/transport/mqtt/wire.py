"""MQTT data representation (OASIS MQTT 5.0 §1.5): integers, strings, binary data, varints.

Readers take ``(buf, pos, end)`` and return ``(value, new_pos)``; they never read past
``end`` and raise :class:`MqttProtocolError` (malformed packet) instead. No per-byte loops
except in the variable byte integer, which is at most four bytes long.
"""

from __future__ import annotations

from struct import Struct

from industryos.transport.mqtt.errors import MqttProtocolError
from industryos.transport.mqtt.reason_codes import ReasonCode

U16 = Struct(">H")
U32 = Struct(">I")
MAX_VARINT = 268_435_455
_MALFORMED = ReasonCode.MALFORMED_PACKET


def malformed(message: str) -> MqttProtocolError:
    """The error for bytes that do not form a valid packet."""
    return MqttProtocolError(_MALFORMED, message)


def read_u8(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """One byte."""
    if pos >= end:
        raise malformed("truncated byte")
    return buf[pos], pos + 1


def read_u16(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """A two-byte big-endian integer."""
    if pos + 2 > end:
        raise malformed("truncated two-byte integer")
    return (buf[pos] << 8) | buf[pos + 1], pos + 2


def read_u32(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """A four-byte big-endian integer."""
    if pos + 4 > end:
        raise malformed("truncated four-byte integer")
    return U32.unpack_from(buf, pos)[0], pos + 4


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """A variable byte integer (1 to 4 bytes, the minimal encoding is not required)."""
    value = 0
    shift = 0
    for index in range(pos, min(pos + 4, end)):
        byte = buf[index]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, index + 1
        shift += 7
    if end - pos >= 4:
        raise malformed("variable byte integer longer than four bytes")
    raise malformed("truncated variable byte integer")


def read_binary(buf: bytes, pos: int, end: int) -> tuple[bytes, int]:
    """Binary data: a two-byte length, then that many bytes."""
    if pos + 2 > end:
        raise malformed("truncated binary data length")
    stop = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if stop > end:
        raise malformed("truncated binary data")
    return bytes(buf[pos + 2 : stop]), stop


def read_str(buf: bytes, pos: int, end: int) -> tuple[str, int]:
    """A UTF-8 encoded string: well-formed UTF-8 and no U+0000 (§1.5.4)."""
    if pos + 2 > end:
        raise malformed("truncated string length")
    stop = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if stop > end:
        raise malformed("truncated string")
    try:
        text = str(buf[pos + 2 : stop], "utf-8")
    except UnicodeDecodeError:
        raise malformed("string is not valid UTF-8") from None
    if "\x00" in text:
        raise malformed("string contains U+0000")
    return text, stop


def read_str_pair(buf: bytes, pos: int, end: int) -> tuple[tuple[str, str], int]:
    """A UTF-8 string pair (user property)."""
    key, pos = read_str(buf, pos, end)
    value, pos = read_str(buf, pos, end)
    return (key, value), pos


def varint(value: int) -> bytes:
    """Encode a variable byte integer."""
    if value < 0x80:
        return bytes((value,))
    if value > MAX_VARINT or value < 0:
        raise ValueError(f"{value} does not fit a variable byte integer")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def u16(value: int) -> bytes:
    """Encode a two-byte integer."""
    return U16.pack(value)


def u32(value: int) -> bytes:
    """Encode a four-byte integer."""
    return U32.pack(value)


def string(text: str) -> bytes:
    """Encode a UTF-8 string with its length prefix."""
    data = text.encode()
    return U16.pack(len(data)) + data


def binary(data: bytes) -> bytes:
    """Encode binary data with its length prefix."""
    return U16.pack(len(data)) + data


def str_pair(pair: tuple[str, str]) -> bytes:
    """Encode a UTF-8 string pair."""
    return string(pair[0]) + string(pair[1])
