"""The cluster bus: the in-process bus, the NATS bus (the real server on 127.0.0.1:4222) and
the local bus (a broker on a Unix socket) behave the same: ordered delivery to every current
subscriber, nothing after close, a failing handler does not end its subscription, subjects
are checked; a request gets one server's answer, at once NoResponders when nobody serves,
BusTimeout when its server is slow, ResponderFailed at once when it raises, and servers of a
subject share the requests."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from industryos.queue.bus import (
    Bus,
    BusError,
    BusTimeout,
    BusUnreachable,
    InProcessBus,
    LocalBus,
    LocalBusBroker,
    NatsBus,
    NoResponders,
    ResponderFailed,
    open_bus,
    subject_token,
)
from industryos.start_refused import StartRefused
from tests.support.nats_server import nats_server

NATS_URL = "nats://127.0.0.1:4222"

Connect = Callable[[], Awaitable[Bus]]


@pytest.fixture(params=["memory", "nats", "local"])
async def connect(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Connect]:
    """Opens "nodes" on one bus: the same in-process bus, or one connection each to NATS or
    to this test's local bus broker."""
    shared = InProcessBus()
    broker = None
    if request.param == "local":
        broker = await LocalBusBroker.start(str(tmp_path / "bus.sock"))
    opened: list[Bus] = []

    async def one() -> Bus:
        bus: Bus
        if broker is not None:
            bus = await LocalBus.connect(broker.path)
        elif request.param == "nats":
            bus = await NatsBus.connect(NATS_URL, name="industryos-test")
        else:
            return shared
        opened.append(bus)
        return bus

    yield one
    for bus in opened:
        await bus.close()
    await shared.close()
    if broker is not None:
        await broker.close()


def _subject() -> str:
    return f"industryos.test.{uuid.uuid4().hex}"  # tests share the NATS server


class Inbox:
    """Collects payloads and wakes a waiter once it holds ``n`` of them."""

    def __init__(self) -> None:
        self.items: list[bytes] = []
        self._changed = asyncio.Event()

    async def __call__(self, payload: bytes) -> None:
        self.items.append(payload)
        self._changed.set()

    async def holding(self, n: int) -> list[bytes]:
        async with asyncio.timeout(10):
            while len(self.items) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.items


async def test_every_subscriber_of_a_subject_gets_payloads_in_order(connect: Connect) -> None:
    a, b = await connect(), await connect()
    subject, other = _subject(), _subject()
    on_a, on_b, elsewhere = Inbox(), Inbox(), Inbox()
    await a.subscribe(subject, on_a)
    await b.subscribe(subject, on_b)
    await b.subscribe(other, elsewhere)
    for i in range(20):
        await a.publish(subject, str(i).encode())
    expected = [str(i).encode() for i in range(20)]
    assert await on_a.holding(20) == expected
    assert await on_b.holding(20) == expected
    await b.publish(other, b"x")
    assert await elsewhere.holding(1) == [b"x"]
    assert len(on_a.items) == 20  # nothing of the other subject


async def test_closed_subscription_gets_nothing_more(connect: Connect) -> None:
    a, b = await connect(), await connect()
    subject = _subject()
    closed, open_ = Inbox(), Inbox()
    subscription = await b.subscribe(subject, closed)
    await b.subscribe(subject, open_)
    await a.publish(subject, b"1")
    await closed.holding(1)
    await subscription.close()
    await subscription.close()  # idempotent
    await a.publish(subject, b"2")
    assert await open_.holding(2) == [b"1", b"2"]
    assert closed.items == [b"1"]


async def test_a_failing_handler_keeps_its_subscription(connect: Connect) -> None:
    a = await connect()
    subject = _subject()
    inbox = Inbox()

    async def picky(payload: bytes) -> None:
        if payload == b"bad":
            raise ValueError("cannot handle this")
        await inbox(payload)

    await a.subscribe(subject, picky)
    await a.publish(subject, b"bad")
    await a.publish(subject, b"good")
    assert await inbox.holding(1) == [b"good"]


async def test_subjects_are_checked(connect: Connect) -> None:
    bus = await connect()
    for bad in ("", "a..b", "a b", "a.*", "a.>"):
        with pytest.raises(BusError):
            await bus.publish(bad, b"x")
        with pytest.raises(BusError):
            await bus.subscribe(bad, Inbox())
    assert subject_token("node-1.example.com:8080") == "node-1_example_com_8080"


async def test_open_bus_picks_the_implementation(tmp_path: Path) -> None:
    memory = await open_bus("")
    assert isinstance(memory, InProcessBus)
    await memory.close()
    with pytest.raises(BusError, match="the bus is closed"):
        await memory.publish("a", b"x")
    networked = await open_bus(NATS_URL)
    assert isinstance(networked, NatsBus)
    await networked.close()
    broker = await LocalBusBroker.start(str(tmp_path / "bus.sock"))
    local = await open_bus(f"unix://{broker.path}")
    assert isinstance(local, LocalBus)
    assert local.path == broker.path
    await local.close()
    await broker.close()
    # a node cannot start without its bus: each is a refusal the command line states
    with pytest.raises(BusUnreachable, match="unsupported bus URL"):
        await open_bus("redis://127.0.0.1:6379")
    with pytest.raises(BusUnreachable, match="cannot connect"):
        await open_bus("nats://127.0.0.1:1")
    with pytest.raises(BusUnreachable, match="cannot connect"):
        await open_bus(f"unix://{tmp_path}/nobody.sock")
    with pytest.raises(BusUnreachable, match="absolute socket path") as refused:
        await open_bus("unix://relative/bus.sock")
    assert isinstance(refused.value, BusError)
    assert isinstance(refused.value, StartRefused)


def _echo(tag: bytes, asked: list[bytes] | None = None) -> Callable[[bytes], Awaitable[bytes]]:
    """A responder answering ``tag:payload`` (and noting the payload in ``asked``)."""

    async def answer(payload: bytes) -> bytes:
        if asked is not None:
            asked.append(payload)
        return tag + b":" + payload

    return answer


async def test_a_request_gets_its_servers_answer(connect: Connect) -> None:
    a, b = await connect(), await connect()
    subject = _subject()
    await b.serve(subject, _echo(b"b"))
    assert await a.request(subject, b"ping", 5.0) == b"b:ping"
    assert await b.request(subject, b"own", 5.0) == b"b:own"  # a node may ask itself
    answers = await asyncio.gather(*(a.request(subject, b"%d" % i, 5.0) for i in range(50)))
    assert answers == [b"b:%d" % i for i in range(50)]
    for bad in ("", "a..b", "a.>"):
        with pytest.raises(BusError):
            await a.request(bad, b"x", 1.0)
        with pytest.raises(BusError):
            await a.serve(bad, _echo(b"x"))


async def test_a_subject_nobody_serves_fails_at_once(connect: Connect) -> None:
    a, b = await connect(), await connect()
    subject = _subject()
    started = time.monotonic()
    with pytest.raises(NoResponders):
        await a.request(subject, b"x", 10.0)
    assert time.monotonic() - started < 2.0
    server = await b.serve(subject, _echo(b"b"))
    assert await a.request(subject, b"x", 5.0) == b"b:x"
    await server.close()
    await server.close()  # idempotent
    with pytest.raises(NoResponders):
        await b.request(subject, b"x", 10.0)


async def test_a_slow_server_times_out_and_a_failing_one_fails_at_once(
    connect: Connect,
) -> None:
    a, b = await connect(), await connect()
    subject = _subject()
    never = asyncio.Event()

    async def moody(payload: bytes) -> bytes:
        if payload == b"slow":
            await never.wait()
        if payload == b"bad":
            raise ValueError("cannot answer this\nat all " + "x" * 2000)
        return b"ok:" + payload

    await b.serve(subject, moody)
    started = time.monotonic()
    slow = asyncio.ensure_future(a.request(subject, b"slow", 0.5))
    # a slow request delays no other of the same server
    assert await a.request(subject, b"quick", 5.0) == b"ok:quick"
    with pytest.raises(BusTimeout):
        await slow
    assert time.monotonic() - started < 3.0
    started = time.monotonic()
    with pytest.raises(ResponderFailed) as failed:
        await a.request(subject, b"bad", 10.0)
    assert time.monotonic() - started < 2.0  # not the request's 10 s
    message = str(failed.value)
    assert message.startswith(f"the server of {subject} failed: ValueError: cannot answer")
    assert len(message) < 700  # the text is bounded
    assert isinstance(failed.value, BusError)  # callers that catch BusError still do
    assert await a.request(subject, b"good", 5.0) == b"ok:good"  # the server goes on


async def test_servers_of_a_subject_share_its_requests(connect: Connect) -> None:
    a, b, c = await connect(), await connect(), await connect()
    subject = _subject()
    on_b: list[bytes] = []
    on_c: list[bytes] = []
    await b.serve(subject, _echo(b"b", on_b))
    server_c = await c.serve(subject, _echo(b"c", on_c))
    answers = [await a.request(subject, b"%d" % i, 5.0) for i in range(40)]
    assert len(on_b) + len(on_c) == 40  # each request went to exactly one server
    assert on_b and on_c
    assert sorted(answers) == sorted([b"b:" + p for p in on_b] + [b"c:" + p for p in on_c])
    await server_c.close()
    # asked on the closed server's connection, so that its close reached the bus before
    answers = [await c.request(subject, b"%d" % i, 5.0) for i in range(10)]
    assert answers == [b"b:%d" % i for i in range(10)]
    assert len(on_c) + len(on_b) == 50


async def test_a_nats_bus_closes_while_its_server_is_down() -> None:
    """A node stopped while NATS is down stops all the same (nats-py refuses to drain a
    connection that is reconnecting, and its close raised the lost connection's error)."""
    with nats_server() as server:
        bus = await NatsBus.connect(server.url, name="industryos-test")
        await bus.subscribe("industryos.test.down", _ignore)
        server.stop()
        await asyncio.sleep(0.5)  # (the client has seen the connection go)
        await bus.publish("industryos.test.down", b"kept for the reconnection, then dropped")
        await asyncio.wait_for(bus.close(), 20)


async def _ignore(payload: bytes) -> None:
    """A handler for a subject nothing is published on."""
