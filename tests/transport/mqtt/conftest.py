"""MQTT transport fixtures: a recording application and a real server on its own uvloop thread.

The server runs in a background thread with a uvloop event loop (the node's loop kind), so
blocking clients (paho, raw sockets) can drive it from the test thread without deadlock.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
import uvloop

from industryos.transport.mqtt import (
    ACCEPTED,
    Accepted,
    AuthResult,
    Connect,
    MqttConfig,
    MqttServer,
    PeerCertificate,
    Publish,
    PublishResult,
    ReasonCode,
    Refused,
    Session,
    Subscription,
)
from tests.transport.mqtt.pahoclient import Paho
from tests.transport.mqtt.rawclient import RawClient

T = TypeVar("T")
VALID_TOKENS = {"token-a", "token-b", "token-c", "token-small"}
SMALL_LIMITS = {"receive_maximum": 5, "max_payload_size": 1000}
"""Per-session limits the application grants ``token-small``."""


@dataclass
class RecordingApp:
    """A test application: tokens in VALID_TOKENS log in, everything is recorded.

    Topics steer the answer: ``hold/...`` waits for ``hold``, ``unknown/...`` → 0x90,
    ``bad/...`` → 0x99, ``fail/...`` → DISCONNECT 0x83 without ack, ``crash/...`` raises.
    """

    publish_delay: float = 0.0
    hold: threading.Event = field(default_factory=threading.Event)
    """Publishes to ``hold/...`` wait until this is set."""
    lock: threading.Condition = field(default_factory=threading.Condition)
    publishes: list[tuple[str, Publish]] = field(default_factory=list)
    sessions: dict[str, Session[str]] = field(default_factory=dict)
    events: list[tuple[str, str, Any]] = field(default_factory=list)
    certificates: list[PeerCertificate | None] = field(default_factory=list)

    async def authenticate(
        self, connect: Connect, peer_certificate: PeerCertificate | None
    ) -> AuthResult[str]:
        self.certificates.append(peer_certificate)
        if peer_certificate is not None:
            digest = hashlib.sha256(peer_certificate.der).hexdigest()[:16]
            return Accepted(f"x509:{digest}", session_key=f"x509:{digest}")
        if connect.username is None:
            return Refused(ReasonCode.NOT_AUTHORIZED)
        if connect.username not in VALID_TOKENS:
            return Refused(ReasonCode.BAD_USER_NAME_OR_PASSWORD)
        if connect.username == "token-small":
            return Accepted(connect.username, session_key=connect.username, **SMALL_LIMITS)
        return Accepted(connect.username, session_key=connect.username)

    def _record(self, kind: str, session: Session[str], value: Any) -> None:
        with self.lock:
            self.events.append((kind, session.context, value))
            self.lock.notify_all()

    async def on_connect(self, session: Session[str]) -> None:
        with self.lock:
            self.sessions[session.context] = session
        self._record("connect", session, session.client_id)

    async def on_publish(self, session: Session[str], publish: Publish) -> PublishResult:
        if self.publish_delay:
            await asyncio.sleep(self.publish_delay)
        topic = publish.topic
        if topic.startswith("hold/"):
            await asyncio.to_thread(self.hold.wait, 5)
        if topic.startswith("crash/"):
            raise RuntimeError("application fault (test)")
        with self.lock:
            self.publishes.append((session.context, publish))
            self.lock.notify_all()
        if topic.startswith("unknown/"):
            return PublishResult(ReasonCode.TOPIC_NAME_INVALID)
        if topic.startswith("bad/"):
            return PublishResult(ReasonCode.PAYLOAD_FORMAT_INVALID)
        if topic.startswith("fail/"):
            return PublishResult(None, ReasonCode.IMPLEMENTATION_SPECIFIC_ERROR)
        return ACCEPTED

    async def on_subscribe(
        self, session: Session[str], subscriptions: list[Subscription]
    ) -> Sequence[int]:
        self._record("subscribe", session, [s.topic_filter for s in subscriptions])
        return [
            ReasonCode.TOPIC_FILTER_INVALID if s.topic_filter.startswith("foo/") else s.qos
            for s in subscriptions
        ]

    async def on_unsubscribe(
        self, session: Session[str], topic_filters: list[str]
    ) -> Sequence[int]:
        self._record("unsubscribe", session, topic_filters)
        return [ReasonCode.NO_SUBSCRIPTION_EXISTED for _ in topic_filters]

    async def on_disconnect(self, session: Session[str], reason: ReasonCode) -> None:
        self._record("disconnect", session, reason)

    def wait(self, predicate: Callable[[], T | Literal[False] | None], timeout: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy (evaluated under the lock) and return it."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while not (result := predicate()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out; events={self.events}")
                self.lock.wait(remaining)
            return result

    def topics(self) -> list[str]:
        with self.lock:
            return [p.topic for _, p in self.publishes]

    def events_of(self, kind: str) -> list[tuple[str, Any]]:
        with self.lock:
            return [(ctx, value) for k, ctx, value in self.events if k == kind]


class ServerThread:
    """An MqttServer on a uvloop event loop in a background thread."""

    def __init__(self, config: MqttConfig, app: RecordingApp) -> None:
        self.app = app
        self.loop = uvloop.new_event_loop()
        self.server: MqttServer[str] = MqttServer(config, app)
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.call(self.server.start())

    @property
    def port(self) -> int:
        assert self.server.port is not None
        return self.server.port

    @property
    def tls_port(self) -> int:
        assert self.server.tls_port is not None
        return self.server.tls_port

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run ``coro`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def session(self, context: str, timeout: float = 5.0) -> Session[str]:
        return self.app.wait(lambda: self.app.sessions.get(context), timeout)

    def stop(self) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


def close_clients() -> None:
    """Close every raw and paho client the test opened."""
    while RawClient.opened:
        RawClient.opened.pop().close()
    while Paho.opened:
        Paho.opened.pop().close()


@pytest.fixture(autouse=True)
def _close_clients_after_test() -> Iterator[None]:
    yield
    close_clients()


@pytest.fixture
def mqtt_config(tmp_path: Path) -> MqttConfig:
    """Loopback listeners on free ports, short timeouts."""
    return MqttConfig(
        host="127.0.0.1",
        port=0,
        tls_port=None,
        data_dir=tmp_path,
        connect_timeout=2.0,
        delivery_timeout=5.0,
        close_timeout=2.0,
    )


@pytest.fixture
def app() -> RecordingApp:
    return RecordingApp()


@pytest.fixture
def make_server(
    mqtt_config: MqttConfig, app: RecordingApp
) -> Iterator[Callable[..., ServerThread]]:
    """Start a server; keyword arguments override the config."""
    started: list[ServerThread] = []

    def start(**overrides: Any) -> ServerThread:
        server = ServerThread(replace(mqtt_config, **overrides), app)
        started.append(server)
        return server

    yield start
    close_clients()  # first, so the servers do not wait for clients that never answer
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server: Callable[..., ServerThread]) -> ServerThread:
    return make_server()
