"""The local bus broker on its own: a client that misbehaves (garbage, oversize frames, not
reading) loses only its own connection or publishes, a client that leaves is forgotten with
its subscriptions and servers, a request handed back goes to another server, and a closed
bus, a missing broker or a broker that closes fail with BusError. The behaviour it shares
with the other buses is tested in test_bus.py."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from industryos.queue.bus import (
    BusError,
    BusTimeout,
    LocalBus,
    LocalBusBroker,
    NoResponders,
    local_broker,
)
from industryos.queue.bus.local_wire import (
    MAX_FRAME,
    Frame,
    Kind,
    decode,
    encode,
    ids_field,
    subject_field,
)
from tests.queue.bus.test_bus import Inbox


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[LocalBusBroker]:
    broker = await LocalBusBroker.start(str(tmp_path / "bus.sock"))
    yield broker
    await broker.close()


Connect = Callable[[], Awaitable[LocalBus]]


@pytest.fixture
async def connect(broker: LocalBusBroker) -> AsyncIterator[Connect]:
    """Opens clients of the broker, closed at the end."""
    opened: list[LocalBus] = []

    async def one() -> LocalBus:
        bus = await LocalBus.connect(broker.path)
        opened.append(bus)
        return bus

    yield one
    for bus in opened:
        await bus.close()


class Raw:
    """A client speaking the wire format by hand (or not speaking it)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, path: str) -> Raw:
        return cls(*await asyncio.open_unix_connection(path))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def frame(self) -> Frame:
        async with asyncio.timeout(5):
            (length,) = struct.unpack(">I", await self.reader.readexactly(4))
            return decode(memoryview(await self.reader.readexactly(length)))

    async def sync(self) -> None:
        """Returns once the broker has handled what was sent before."""
        await self.send(encode(Kind.PING, ids_field(7)))
        pong = await self.frame()
        assert (pong.kind, pong.ids, bytes(pong.payload)) == (Kind.PONG, (7,), b"")

    async def cut_off(self) -> None:
        """Returns once the broker closed this connection (whatever it sent before)."""
        async with asyncio.timeout(5):
            while await self.reader.read(65536):
                pass

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not within 5 s")


def _subject() -> str:
    return f"industryos.test.{uuid.uuid4().hex}"


def _answer(tag: bytes) -> Callable[[bytes], Awaitable[bytes]]:
    async def answer(payload: bytes) -> bytes:
        return tag + b":" + payload

    return answer


def _frame(kind: int, body: bytes) -> bytes:
    return struct.pack(">IB", len(body) + 1, kind) + body


JUNK = {
    "zero length": b"\x00\x00\x00\x00",
    "unknown kind": _frame(99, b"x"),
    "subject past the end": _frame(Kind.SUBSCRIBE, b"\x00\x64abc"),
    "non-ASCII subject": _frame(Kind.PUBLISH, b"\x00\x02\xc3\xa9payload"),
    "a broker's kind": _frame(Kind.MESSAGE, subject_field("a") + b"x"),
    "stray bytes": _frame(Kind.PING, b"\x00\x00\x00\x01extra"),
    "short ids": _frame(Kind.REPLY, b"\x00\x01"),
    "text": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "oversize": struct.pack(">IB", MAX_FRAME + 1, Kind.PUBLISH) + b"\x00\x01a",
}


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
async def test_garbage_closes_only_that_client(
    broker: LocalBusBroker, connect: Connect, junk: bytes
) -> None:
    a, b = await connect(), await connect()
    subject = _subject()
    inbox = Inbox()
    await b.subscribe(subject, inbox)
    raw = await Raw.connect(broker.path)
    await raw.send(encode(Kind.SUBSCRIBE, subject_field(subject)) + junk)
    await raw.cut_off()
    await raw.close()
    await _until(lambda: broker.clients == 2)
    assert broker.subscribers(subject) == 1  # the valid frame before the junk was handled
    await a.publish(subject, b"still here")
    assert await inbox.holding(1) == [b"still here"]


async def test_a_large_payload_arrives_whole_and_an_oversize_one_is_refused(
    broker: LocalBusBroker, connect: Connect
) -> None:
    a, b = await connect(), await connect()
    subject, service = _subject(), _subject()
    inbox = Inbox()
    await b.subscribe(subject, inbox)
    await b.serve(service, _answer(b"b"))
    large = bytes(range(256)) * (32 * 1024)  # 8 MiB, many reads on the way
    await a.publish(subject, large)
    with pytest.raises(BusError, match="exceeds"):
        await a.publish(subject, bytes(MAX_FRAME))
    # a request at the limit could not be forwarded (the broker adds the requester's id)
    head = encode(Kind.REQUEST, ids_field(1), subject_field(service))
    crowded = bytes(MAX_FRAME - (len(head) - 4))  # the frame after its length: MAX_FRAME
    with pytest.raises(BusError, match="exceeds"):
        await a.request(service, crowded, 5.0)
    raw = await Raw.connect(broker.path)
    await raw.send(encode(Kind.REQUEST, ids_field(1), subject_field(service), crowded))
    await raw.cut_off()
    await raw.close()
    await a.publish(subject, b"after")
    assert await inbox.holding(2) == [large, b"after"]
    assert await a.request(service, b"x", 5.0) == b"b:x"


async def test_a_client_that_leaves_is_forgotten(broker: LocalBusBroker, connect: Connect) -> None:
    a, b = await connect(), await connect()
    topic, service = _subject(), _subject()
    await b.subscribe(topic, Inbox())
    await b.serve(service, _answer(b"b"))
    raw = await Raw.connect(broker.path)
    await raw.send(encode(Kind.SUBSCRIBE, subject_field(topic)))
    await raw.send(encode(Kind.SERVE, subject_field(service)))
    await raw.sync()
    assert (broker.clients, broker.subscribers(topic), broker.servers(service)) == (3, 2, 2)
    await raw.close()  # gone without unsubscribing
    await b.close()
    await _until(lambda: broker.clients == 1)
    assert (broker.subscribers(topic), broker.servers(service)) == (0, 0)
    for _ in range(100):
        await a.publish(topic, b"to nobody")
    with pytest.raises(NoResponders):
        await a.request(service, b"x", 5.0)


async def test_requests_to_a_server_that_leaves_time_out(
    broker: LocalBusBroker, connect: Connect
) -> None:
    a = await connect()
    subject = _subject()
    raw = await Raw.connect(broker.path)
    await raw.send(encode(Kind.SERVE, subject_field(subject)))
    await raw.sync()
    pending = asyncio.ensure_future(a.request(subject, b"question", 0.5))
    asked = await raw.frame()
    assert (asked.kind, asked.subject, bytes(asked.payload)) == (Kind.ASK, subject, b"question")
    await raw.close()
    with pytest.raises(BusTimeout):
        await pending
    with pytest.raises(NoResponders):
        await a.request(subject, b"again", 5.0)


async def test_a_request_handed_back_goes_to_another_server(
    broker: LocalBusBroker, connect: Connect
) -> None:
    """A client that closed its last server of a subject while a request was on its way to
    it hands the request back (REFUSE); the broker asks the next server."""
    a, b = await connect(), await connect()
    subject = _subject()
    raw = await Raw.connect(broker.path)
    await raw.send(encode(Kind.SERVE, subject_field(subject)))
    await raw.sync()

    await b.serve(subject, _answer(b"b"))
    pending = asyncio.ensure_future(a.request(subject, b"q", 5.0))
    asked = await raw.frame()  # the raw client's turn comes first
    assert asked.kind is Kind.ASK
    await raw.send(encode(Kind.UNSERVE, subject_field(subject)) + encode(Kind.REFUSE, asked.fields))
    assert await pending == b"b:q"
    assert broker.servers(subject) == 1
    await raw.close()


async def test_requests_take_turns_over_servers(
    connect: Connect,
) -> None:
    a, b, c = await connect(), await connect(), await connect()
    subject, own = _subject(), _subject()

    await b.serve(subject, _answer(b"b"))
    await c.serve(subject, _answer(b"c"))
    taken = [await a.request(subject, b"", 5.0) for _ in range(4)]
    assert taken in ([b"b:", b"c:"] * 2, [b"c:", b"b:"] * 2)
    await b.serve(own, _answer(b"1"))  # two servers in one client take turns too
    await b.serve(own, _answer(b"2"))
    taken = [await a.request(own, b"", 5.0) for _ in range(4)]
    assert taken in ([b"1:", b"2:"] * 2, [b"2:", b"1:"] * 2)


async def test_a_closed_bus_refuses_everything(broker: LocalBusBroker, connect: Connect) -> None:
    bus = await connect()
    subject = _subject()
    inbox = Inbox()
    await bus.subscribe(subject, inbox)
    await bus.close()
    await bus.close()  # idempotent
    with pytest.raises(BusError, match="the bus is closed"):
        await bus.publish(subject, b"x")
    with pytest.raises(BusError, match="the bus is closed"):
        await bus.subscribe(subject, inbox)
    with pytest.raises(BusError, match="the bus is closed"):
        await bus.request(subject, b"x", 1.0)
    with pytest.raises(BusError, match="the bus is closed"):
        await bus.serve(subject, _answer(b"x"))
    await _until(lambda: broker.clients == 0)
    assert broker.subscribers(subject) == 0


async def test_no_broker_no_bus(tmp_path: Path) -> None:
    path = str(tmp_path / "bus.sock")
    with pytest.raises(BusError, match="cannot connect"):
        await LocalBus.connect(path)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)  # a crashed broker's socket file: nobody accepts on it
    stale.close()
    with pytest.raises(BusError, match="cannot connect"):
        await LocalBus.connect(path)
    broker = await LocalBusBroker.start(path)  # replaces the stale file
    with pytest.raises(BusError, match="already listens"):
        await LocalBusBroker.start(path)
    bus = await LocalBus.connect(path)
    await bus.close()
    await broker.close()
    assert os.listdir(tmp_path) == []  # the broker removed its socket file


async def test_the_broker_closing_fails_its_clients(
    broker: LocalBusBroker, connect: Connect
) -> None:
    a, b = await connect(), await connect()
    subject = _subject()
    asked, never = asyncio.Event(), asyncio.Event()

    async def stuck(payload: bytes) -> bytes:
        asked.set()
        await never.wait()
        return payload

    await b.serve(subject, stuck)
    pending = asyncio.ensure_future(a.request(subject, b"x", 30.0))
    async with asyncio.timeout(5):
        await asked.wait()
    await broker.close()
    with pytest.raises(BusError, match="lost the local bus broker") as failed:
        await pending
    assert not isinstance(failed.value, BusTimeout)  # at once, not after 30 s
    with pytest.raises(BusError, match="lost the local bus broker"):
        await a.publish(subject, b"x")
    async with asyncio.timeout(5):  # b hears of it as soon as its loop reads the end of file
        while True:
            try:
                await b.subscribe(subject, Inbox())
            except BusError:
                break
            await asyncio.sleep(0.01)


async def test_a_client_that_does_not_read_loses_publishes(
    broker: LocalBusBroker,
    connect: Connect,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(local_broker, "MAX_BUFFERED", 256 * 1024)
    a, b = await connect(), await connect()
    subject = _subject()
    inbox = Inbox()
    await b.subscribe(subject, inbox)
    raw = await Raw.connect(broker.path)
    await raw.send(encode(Kind.SUBSCRIBE, subject_field(subject)))
    await raw.sync()
    payload = bytes(4096)
    for _ in range(4000):  # 16 MiB: more than the raw client's buffers and the broker's limit
        await a.publish(subject, payload)
    await _until(lambda: broker.dropped > 0)
    await raw.close()
    await a.publish(subject, b"last")
    await _until(lambda: inbox.items[-1:] == [b"last"])


def test_frames_round_trip() -> None:
    frames = [
        encode(Kind.PUBLISH, subject_field("a.b"), b"payload"),
        encode(Kind.ASK, ids_field(3, 4), subject_field("s"), b""),
        encode(Kind.ANSWER, ids_field(2**32 - 1), b"\x00" * 10),
        encode(Kind.NO_RESPONDERS, ids_field(5)),
    ]
    decoded = [decode(memoryview(frame)[4:]) for frame in frames]
    assert [(f.kind, f.ids, f.subject, bytes(f.payload)) for f in decoded] == [
        (Kind.PUBLISH, (), "a.b", b"payload"),
        (Kind.ASK, (3, 4), "s", b""),
        (Kind.ANSWER, (2**32 - 1,), "", b"\x00" * 10),
        (Kind.NO_RESPONDERS, (5,), "", b""),
    ]
    assert frames[0][:5] == struct.pack(">IB", len(frames[0]) - 4, Kind.PUBLISH)
