"""Publishes of one connection pipeline past their ordered point, answers stay in order.

The application here stands in for the durable queue: ``on_publish`` records the topic
(its "append"), calls :func:`industryos.queue.ordering.ordered`, then waits for its
"commit" (``hold/...`` until the test releases it). A later publish may start once the
earlier one reached that point; its PUBACK still waits for the earlier PUBACK.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from industryos.queue.ordering import ordered
from industryos.transport.mqtt import ACCEPTED, Publish, PublishResult, Session
from industryos.transport.mqtt.codec import encode
from industryos.transport.mqtt.packets import Puback, Pubrec
from tests.transport.mqtt.conftest import RecordingApp, ServerThread
from tests.transport.mqtt.rawclient import RawClient


@dataclass
class PipelinedApp(RecordingApp):
    """Appends in call order, then waits for its commit like the durable queue."""

    appended: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)

    async def on_publish(self, session: Session[str], publish: Publish) -> PublishResult:
        with self.lock:
            self.appended.append(publish.topic)
            self.lock.notify_all()
        ordered()
        if publish.topic.startswith("hold/"):
            await asyncio.to_thread(self.hold.wait, 5)
        else:
            await asyncio.sleep(0)
        with self.lock:
            self.finished.append(publish.topic)
            self.lock.notify_all()
        return ACCEPTED


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
