"""The cluster bus: the in-process bus and the NATS bus (the real server on 127.0.0.1:4222)
behave the same: ordered delivery to every current subscriber, nothing after close, a
failing handler does not end its subscription, subjects are checked."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from industryos.queue.bus import Bus, BusError, InProcessBus, NatsBus, open_bus, subject_token

NATS_URL = "nats://127.0.0.1:4222"

Connect = Callable[[], Awaitable[Bus]]


@pytest.fixture(params=["memory", "nats"])
async def connect(request: pytest.FixtureRequest) -> AsyncIterator[Connect]:
    """Opens "nodes" on one bus: the same in-process bus, or one NATS connection each."""
    shared = InProcessBus()
    opened: list[Bus] = []

    async def one() -> Bus:
        if request.param == "memory":
            return shared
        bus = await NatsBus.connect(NATS_URL, name="industryos-test")
        opened.append(bus)
        return bus

    yield one
    for bus in opened:
        await bus.close()
    await shared.close()


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


async def test_open_bus_picks_the_implementation() -> None:
    memory = await open_bus("")
    assert isinstance(memory, InProcessBus)
    await memory.close()
    with pytest.raises(BusError, match="the bus is closed"):
        await memory.publish("a", b"x")
    networked = await open_bus(NATS_URL)
    assert isinstance(networked, NatsBus)
    await networked.close()
    with pytest.raises(BusError, match="unsupported bus URL"):
        await open_bus("redis://127.0.0.1:6379")
    with pytest.raises(BusError, match="cannot connect"):
        await open_bus("nats://127.0.0.1:1")
