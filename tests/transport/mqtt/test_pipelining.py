"""Publishes of one connection pipeline past their ordered point, answers stay in order.

The application here stands in for the durable queue: ``on_publish`` records the topic
(its "append"), calls :func:`industryos.queue.ordering.ordered`, then waits for its
"commit" (topics with a ``hold`` level until the test releases ``hold``). Topics with a
``gate`` level wait for ``gate`` before the append, i.e. before their ordered point, and
topics with a ``late`` level wait for ``late`` after it (a second, later commit). A
later publish may start once the earlier one reached that point; its PUBACK still waits
for the earlier PUBACK.

Publishes sent in one write reach the worker in one read (its queue); publishes sent
after the test saw the previous one start arrive alone, while the worker is busy (the
path that starts a delivery at once, or queues it when it must wait).
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from industryos.queue.ordering import ordered
from industryos.transport.mqtt import ACCEPTED, Publish, PublishResult, Session, Subscription
from industryos.transport.mqtt.codec import encode
from industryos.transport.mqtt.packets import (
    Disconnect,
    Puback,
    Pubrec,
    Suback,
    Subscribe,
)
from industryos.transport.mqtt.worker import Worker
from tests.support.collector import collect
from tests.transport.mqtt.conftest import RecordingApp, ServerThread
from tests.transport.mqtt.rawclient import RawClient


@dataclass
class PipelinedApp(RecordingApp):
    """Appends in call order, then waits for its commit like the durable queue."""

    gate: threading.Event = field(default_factory=threading.Event)
    """Topics with a ``gate`` level wait for this before their append (their point)."""
    late: threading.Event = field(default_factory=threading.Event)
    """Topics with a ``late`` level wait for this after their point."""
    entered: list[str] = field(default_factory=list)
    """Hooks in the order they were entered: publish topics and ``SUBSCRIBE``."""
    appended: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    contexts: list[contextvars.Context] = field(default_factory=list)
    """What each delivery leaves behind: a copy of its context (as a task it started would)."""

    def _enter(self, name: str) -> None:
        with self.lock:
            self.entered.append(name)
            self.lock.notify_all()

    async def on_publish(self, session: Session[str], publish: Publish) -> PublishResult:
        levels = publish.topic.split("/")
        self._enter(publish.topic)
        if "gate" in levels:
            await asyncio.to_thread(self.gate.wait, 5)
        with self.lock:
            self.appended.append(publish.topic)
            self.lock.notify_all()
        ordered()
        if "late" in levels:
            await asyncio.to_thread(self.late.wait, 5)
        if "hold" in levels:
            await asyncio.to_thread(self.hold.wait, 5)
        else:
            await asyncio.sleep(0)
        with self.lock:
            self.finished.append(publish.topic)
            self.contexts.append(contextvars.copy_context())
            self.lock.notify_all()
        return ACCEPTED

    async def on_subscribe(
        self, session: Session[str], subscriptions: list[Subscription]
    ) -> Sequence[int]:
        self._enter("SUBSCRIBE")
        if any(s.topic_filter.startswith("gate/") for s in subscriptions):
            await asyncio.to_thread(self.gate.wait, 5)
        return await super().on_subscribe(session, subscriptions)


def _publish(topic: str, packet_id: int, qos: int = 1) -> bytes:
    return encode(Publish(topic, b"", qos, packet_id=packet_id), True)


@pytest.fixture
def app() -> RecordingApp:
    return PipelinedApp()


def test_next_publish_starts_while_the_first_waits_for_its_commit(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(
        b"".join(
            encode(Publish(t, b"", 1, packet_id=i), True)
            for i, t in ((1, "hold/1"), (2, "t/2"), (3, "t/3"))
        )
    )
    app.wait(lambda: len(app.finished) == 2)
    assert app.appended == ["hold/1", "t/2", "t/3"]
    assert app.finished == ["t/2", "t/3"]
    client.drain(0.2)
    assert client.received == [], "a later PUBACK overtook the held one"
    app.hold.set()
    assert [client.next_packet() for _ in range(3)] == [Puback(1), Puback(2), Puback(3)]


def test_pubrec_and_puback_keep_arrival_order(server: ServerThread, app: PipelinedApp) -> None:
    client = RawClient(server.port)
    client.connect()
    sent = [Publish("hold/1", b"", 2, packet_id=1)]
    sent += [Publish(f"t/{i}", b"", 1 + i % 2, packet_id=i) for i in range(2, 12)]
    client.send(b"".join(encode(p, True) for p in sent))
    app.wait(lambda: len(app.appended) == len(sent))
    app.hold.set()
    acks = [client.next_packet() for _ in sent]
    assert acks == [(Puback if p.qos == 1 else Pubrec)(p.packet_id) for p in sent]


def test_in_flight_deliveries_are_bounded_by_receive_maximum(
    make_server: Callable[..., ServerThread], app: PipelinedApp
) -> None:
    server = make_server(receive_maximum=2)
    client = RawClient(server.port, v5=False)  # v3 clients are not bound by it themselves
    client.connect()
    client.send(
        b"".join(encode(Publish(f"hold/{i}", b"", 1, packet_id=i), False) for i in (1, 2, 3))
    )
    app.wait(lambda: len(app.appended) == 2)
    client.drain(0.3)
    assert app.appended == ["hold/1", "hold/2"], "a third delivery started beyond the limit"
    app.hold.set()
    assert [client.next_packet() for _ in range(3)] == [Puback(1), Puback(2), Puback(3)]
    assert app.appended == ["hold/1", "hold/2", "hold/3"]


def test_a_publish_arriving_before_the_previous_reached_its_point_waits_for_it(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("gate/1", 1))
    app.wait(lambda: app.entered == ["gate/1"])
    client.send(_publish("t/2", 2))
    client.drain(0.3)
    assert app.entered == ["gate/1"], "a publish started before the previous reached its point"
    app.gate.set()
    assert [client.next_packet() for _ in range(2)] == [Puback(1), Puback(2)]
    assert app.appended == ["gate/1", "t/2"]


def test_publishes_queued_behind_a_point_start_in_order_when_it_is_reached(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("gate/hold/1", 1))
    app.wait(lambda: app.entered == ["gate/hold/1"])
    for packet_id in (2, 3, 4):
        client.send(_publish(f"t/{packet_id}", packet_id))
    client.drain(0.3)
    assert app.entered == ["gate/hold/1"]
    app.gate.set()  # the point is reached, the first one still waits for its commit
    app.wait(lambda: len(app.finished) == 3)
    assert app.appended == ["gate/hold/1", "t/2", "t/3", "t/4"]
    client.drain(0.2)
    assert client.received == [], "a later PUBACK overtook the held one"
    app.hold.set()
    assert [client.next_packet() for _ in range(4)] == [Puback(i) for i in (1, 2, 3, 4)]


def test_a_publish_arriving_after_the_point_starts_at_once_and_answers_after(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("hold/1", 1))
    app.wait(lambda: app.appended == ["hold/1"])
    client.send(_publish("t/2", 2, qos=2))
    app.wait(lambda: app.finished == ["t/2"])
    client.drain(0.2)
    assert client.received == [], "the PUBREC overtook the held PUBACK"
    app.hold.set()
    assert [client.next_packet() for _ in range(2)] == [Puback(1), Pubrec(2)]


def test_publishes_arriving_at_a_full_receive_maximum_wait_in_order(
    make_server: Callable[..., ServerThread], app: PipelinedApp
) -> None:
    server = make_server(receive_maximum=2)
    client = RawClient(server.port, v5=False)
    client.connect()
    client.send(encode(Publish("hold/1", b"", 1, packet_id=1), False))
    app.wait(lambda: app.appended == ["hold/1"])
    client.send(encode(Publish("hold/2", b"", 1, packet_id=2), False))
    app.wait(lambda: app.appended == ["hold/1", "hold/2"])
    for packet_id in (3, 4):
        client.send(encode(Publish(f"t/{packet_id}", b"", 1, packet_id=packet_id), False))
    client.drain(0.3)
    assert app.entered == ["hold/1", "hold/2"], "a delivery started beyond Receive Maximum"
    app.hold.set()
    assert [client.next_packet() for _ in range(4)] == [Puback(i) for i in (1, 2, 3, 4)]
    assert app.appended == ["hold/1", "hold/2", "t/3", "t/4"]


def test_subscribe_waits_for_the_deliveries_and_publishes_wait_for_subscribe(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("hold/1", 1))
    app.wait(lambda: app.appended == ["hold/1"])  # past its point, still in flight
    client.send(Subscribe(2, [Subscription("gate/#", 1)]))
    client.drain(0.2)
    client.send(_publish("t/3", 3))  # queued behind SUBSCRIBE, though the point is reached
    client.drain(0.3)
    assert app.entered == ["hold/1"], "SUBSCRIBE or a publish behind it ran too early"
    app.hold.set()
    assert client.next_packet() == Puback(1)
    app.wait(lambda: app.entered == ["hold/1", "SUBSCRIBE"])  # and waits for the gate
    client.send(_publish("t/4", 4))  # arrives while SUBSCRIBE runs, nothing queued
    client.drain(0.3)
    assert app.entered == ["hold/1", "SUBSCRIBE"], "a publish started during SUBSCRIBE"
    app.gate.set()
    packets = [client.next_packet() for _ in range(3)]
    assert packets == [Suback(2, [1]), Puback(3), Puback(4)]
    assert app.entered == ["hold/1", "SUBSCRIBE", "t/3", "t/4"]


def test_subscribe_waits_for_a_delivery_that_reached_its_point(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("gate/hold/1", 1))
    app.wait(lambda: app.entered == ["gate/hold/1"])
    client.send(Subscribe(2, [Subscription("a/#", 1)]))
    client.drain(0.2)
    app.gate.set()  # the point is reached; the delivery still waits for its commit
    app.wait(lambda: app.appended == ["gate/hold/1"])
    client.drain(0.3)
    assert app.entered == ["gate/hold/1"], "SUBSCRIBE ran while a delivery was in flight"
    app.hold.set()
    assert [client.next_packet() for _ in range(2)] == [Puback(1), Suback(2, [1])]


def test_a_finished_delivery_does_not_let_a_publish_pass_an_unreached_point(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("hold/1", 1))
    app.wait(lambda: app.appended == ["hold/1"])
    client.send(_publish("gate/2", 2))
    app.wait(lambda: app.entered == ["hold/1", "gate/2"])
    client.send(_publish("t/3", 3))
    client.drain(0.2)
    app.hold.set()  # the first finishes while the second has not reached its point
    app.wait(lambda: app.finished == ["hold/1"])
    client.drain(0.3)
    assert app.entered == ["hold/1", "gate/2"], "a publish started before its predecessor"
    app.gate.set()
    assert [client.next_packet() for _ in range(3)] == [Puback(1), Puback(2), Puback(3)]
    assert app.appended == ["hold/1", "gate/2", "t/3"]


def test_publishes_queued_when_the_client_leaves_still_reach_the_application(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    client.send(_publish("gate/1", 1))
    app.wait(lambda: app.entered == ["gate/1"])
    client.send(b"".join((_publish("t/2", 2), _publish("t/3", 3), encode(Disconnect(), True))))
    client.wait_closed()
    app.gate.set()
    app.wait(lambda: app.events_of("disconnect"))
    assert app.appended == ["gate/1", "t/2", "t/3"]
    assert app.finished == ["gate/1", "t/2", "t/3"]


def test_a_lone_publish_costs_one_task_and_an_idle_connection_keeps_no_worker(
    server: ServerThread, app: PipelinedApp
) -> None:
    created: list[str] = []

    def counting(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        created.append(coro.__qualname__)
        return asyncio.Task(coro, loop=loop, **kwargs)

    client = RawClient(server.port)
    client.connect()
    app.wait(lambda: app.events_of("connect"))

    async def start_counting() -> None:
        asyncio.get_running_loop().set_task_factory(counting)

    server.call(start_counting())
    for packet_id in range(1, 21):
        client.send(_publish(f"t/{packet_id}", packet_id))
        assert client.next_packet() == Puback(packet_id)

    async def stop_counting() -> list[object]:
        asyncio.get_running_loop().set_task_factory(None)
        return [connection.worker for connection in server.server._connections]

    workers = server.call(stop_counting())
    assert workers == [None], "an idle connection kept its worker"
    assert [name for name in created if name.startswith("Worker.")] == ["Worker._deliver"] * 20


def test_what_a_delivery_leaves_behind_does_not_keep_its_worker_alive(
    server: ServerThread, app: PipelinedApp
) -> None:
    client = RawClient(server.port)
    client.connect()
    for packet_id in range(1, 21):
        client.send(_publish(f"t/{packet_id}", packet_id))
        assert client.next_packet() == Puback(packet_id)

    async def live_workers() -> int:
        collect()
        connections = set(server.server._connections)
        return sum(
            1 for o in gc.get_objects() if type(o) is Worker and o._connection in connections
        )

    assert len(app.contexts) == 20
    assert server.call(live_workers()) == 0, "a finished delivery's context keeps its worker"


def test_a_publish_waiting_for_receive_maximum_starts_when_the_oldest_finishes(
    make_server: Callable[..., ServerThread], app: PipelinedApp
) -> None:
    server = make_server(receive_maximum=2)
    client = RawClient(server.port, v5=False)
    client.connect()
    topics = ((1, "hold/1"), (2, "late/2"), (3, "t/3"))
    client.send(b"".join(encode(Publish(t, b"", 1, packet_id=i), False) for i, t in topics))
    app.wait(lambda: app.appended == ["hold/1", "late/2"])
    client.drain(0.2)
    assert app.entered == ["hold/1", "late/2"]
    app.hold.set()  # the first finishes; the second, past its point, waits for ``late``
    assert client.next_packet() == Puback(1)
    app.wait(lambda: app.finished == ["hold/1", "t/3"])
    app.late.set()
    assert [client.next_packet() for _ in range(2)] == [Puback(2), Puback(3)]
