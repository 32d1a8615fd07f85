"""Record framing of segment files: pure functions from records to bytes and back.

A frame is a 16-byte header and the payload::

    crc32   u32   CRC-32 of the 12 bytes that follow in the header, then of the payload
    length  u32   payload length
    offset  u64   the record's offset in its partition
    payload bytes

(little-endian). The CRC covers the length and the offset as well as the payload, so a torn
or zero-filled tail (what a crash leaves when a write was not yet fsync'd) never decodes as
a record: decoding stops at the first frame that is incomplete or fails its checksum.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from enum import Enum

HEADER = struct.Struct("<IIQ")
HEADER_SIZE = HEADER.size
_BODY_HEADER = struct.Struct("<IQ")


class Stop(Enum):
    """Why :func:`decode_frames` stopped."""

    END = "end"
    """The buffer ended exactly at a frame boundary."""
    PARTIAL = "partial"
    """The buffer ends inside a frame (more bytes may complete it)."""
    CORRUPT = "corrupt"
    """A frame fails its checksum or declares an impossible length."""


def encode_frames(first_offset: int, payloads: Sequence[bytes]) -> bytes:
    """Frame ``payloads`` as consecutive records starting at ``first_offset``."""
    parts: list[bytes] = []
    offset = first_offset
    for payload in payloads:
        body_header = _BODY_HEADER.pack(len(payload), offset)
        crc = zlib.crc32(payload, zlib.crc32(body_header))
        parts.append(crc.to_bytes(4, "little"))
        parts.append(body_header)
        parts.append(payload)
        offset += 1
    return b"".join(parts)


def frame_size(buf: bytes, pos: int = 0) -> int | None:
    """The total size of the frame starting at ``pos``, or None if its header is incomplete."""
    if len(buf) - pos < HEADER_SIZE:
        return None
    _, length, _ = HEADER.unpack_from(buf, pos)
    return HEADER_SIZE + int(length)


def decode_frames(
    buf: bytes, max_record_bytes: int, max_records: int | None = None
) -> tuple[list[tuple[int, bytes]], int, Stop]:
    """Decode the frames at the start of ``buf``.

    Returns the ``(offset, payload)`` records, how many bytes they span, and why decoding
    stopped. ``max_records`` stops early (reported as :attr:`Stop.END`).
    """
    records: list[tuple[int, bytes]] = []
    pos = 0
    size = len(buf)
    unpack = HEADER.unpack_from
    while pos < size:
        if max_records is not None and len(records) >= max_records:
            return records, pos, Stop.END
        if size - pos < HEADER_SIZE:
            return records, pos, Stop.PARTIAL
        crc, length, offset = unpack(buf, pos)
        if length > max_record_bytes:
            return records, pos, Stop.CORRUPT
        end = pos + HEADER_SIZE + length
        if end > size:
            return records, pos, Stop.PARTIAL
        payload = buf[pos + HEADER_SIZE : end]
        if zlib.crc32(payload, zlib.crc32(buf[pos + 4 : pos + HEADER_SIZE])) != crc:
            return records, pos, Stop.CORRUPT
        records.append((offset, payload))
        pos = end
    return records, pos, Stop.END
