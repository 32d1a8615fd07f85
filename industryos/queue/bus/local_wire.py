"""The wire format of the local bus, and the connection end its broker and clients share.

Wire format: a frame is a 4-byte big-endian length (of what follows), a 1-byte :class:`Kind`,
then that kind's fields in this order: its 4-byte ids, a subject (2-byte length, ASCII), the
payload (the rest of the frame). A frame longer than :data:`MAX_FRAME`, or one that does not
decode, closes the connection that sent it with a WARNING; the other connections carry on.

:class:`FramedProtocol` is one end of a connection, the broker's or a client's: it splits
what arrives into frames and writes whole frames, those queued in one loop iteration
together, so a burst costs a few system calls.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import struct
from typing import NamedTuple, cast

from industryos.queue.bus.interface import BusError

__all__ = [
    "ID_MASK",
    "ID_SIZE",
    "MAX_FRAME",
    "Frame",
    "FramedProtocol",
    "Kind",
    "Malformed",
    "decode",
    "encode",
    "ids_field",
    "subject_field",
]

log = logging.getLogger(__name__)

MAX_FRAME = 64 * 1024 * 1024
"""The largest frame (kind and fields) either side accepts: 64 MiB."""

_FLUSH_SIZE = 64 * 1024
"""Queued bytes that are written at once rather than at the end of the loop iteration."""
_CLOSE_GRACE_S = 1.0
"""How long closing waits for buffered frames to leave before aborting the connection."""

_LENGTH = struct.Struct(">I")
_HEAD = struct.Struct(">IB")
_SUBJECT_SIZE = struct.Struct(">H")
_IDS = {count: struct.Struct(">" + "I" * count) for count in range(3)}
ID_SIZE = _IDS[1].size
"""Bytes of one id in a frame."""
ID_MASK = 0xFFFFFFFF
"""Keeps a running number within an id's range."""


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
    FAIL = 15  # requester, request id; payload (the responder's failure text)
    # broker → client
    MESSAGE = 10  # subject, payload
    ASK = 11  # requester, request id; subject, payload
    ANSWER = 12  # request id; payload
    NO_RESPONDERS = 13  # request id
    PONG = 14  # token
    FAILED = 16  # request id; payload (the responder's failure text)


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
    Kind.FAIL: (2, False, True),
    Kind.FAILED: (1, False, True),
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


class FramedProtocol(asyncio.Protocol):
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
