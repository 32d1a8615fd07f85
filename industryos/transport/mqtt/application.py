"""The interface the device adapter implements to give the MQTT core its business logic.

The core owns sockets, the codec and the QoS handshakes; the application decides who may
connect, what a publish or a subscription means, and pushes messages to sessions with
``await session.publish(...)``. Every hook of one session is awaited in the order its
packets arrived (``on_connect`` first, ``on_disconnect`` last), so the application never
sees a session's packets reordered. An exception raised by a hook is an internal fault:
it is logged and the session is closed with 0x83 (v5), never left half-open.
"""

from __future__ import annotations

import ssl
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from industryos.transport.mqtt.packets import Connect, Publish, Subscription
from industryos.transport.mqtt.reason_codes import ReasonCode

if TYPE_CHECKING:
    from industryos.transport.mqtt.session import Session

ContextT = TypeVar("ContextT")


@dataclass(frozen=True, slots=True)
class PeerCertificate:
    """The client certificate a TLS peer presented (not verified by the TLS layer)."""

    der: bytes

    @property
    def pem(self) -> str:
        """The certificate in PEM form."""
        return ssl.DER_cert_to_PEM_cert(self.der)


@dataclass(frozen=True, slots=True)
class Accepted(Generic[ContextT]):
    """CONNECT accepted: the application's context for the session, and its limits.

    ``session_key`` identifies the device: a new session with the same key takes over
    (the older one is closed with 0x8E). ``None`` means no takeover.
    """

    context: ContextT
    session_key: Hashable | None = None
    receive_maximum: int | None = None
    """Overrides the configured Receive Maximum for this session."""
    max_payload_size: int | None = None
    """Overrides the configured inbound packet limit for this session (never above it)."""


@dataclass(frozen=True, slots=True)
class Refused:
    """CONNECT refused with an MQTT 5 reason code (mapped to a v3 return code on v3)."""

    reason_code: ReasonCode


AuthResult = Accepted[ContextT] | Refused


@dataclass(frozen=True, slots=True)
class PublishResult:
    """The answer to one inbound PUBLISH (spec §2.14).

    ``ack`` is the PUBACK/PUBREC reason code (v3 clients get a plain ack whatever it is);
    ``None`` sends no ack. ``disconnect`` closes the session afterwards with that code
    (a DISCONNECT on MQTT 5, a plain close on v3).
    """

    ack: ReasonCode | None = ReasonCode.SUCCESS
    disconnect: ReasonCode | None = None


ACCEPTED = PublishResult()


class MqttApplication(Protocol[ContextT]):
    """What the MQTT core calls; the device adapter implements it."""

    async def authenticate(
        self, connect: Connect, peer_certificate: PeerCertificate | None
    ) -> AuthResult[ContextT]:
        """Decide on a CONNECT (credentials, X.509 certificate) before CONNACK is sent."""
        ...

    async def on_connect(self, session: Session[ContextT]) -> None:
        """The session is live (CONNACK sent); keep it to publish to the device."""
        ...

    async def on_publish(self, session: Session[ContextT], publish: Publish) -> PublishResult:
        """Handle a PUBLISH (topic aliases resolved); return after it is durably queued."""
        ...

    async def on_subscribe(
        self, session: Session[ContextT], subscriptions: list[Subscription]
    ) -> Sequence[int]:
        """Grant QoS or refuse (reason code >= 0x80), one code per subscription."""
        ...

    async def on_unsubscribe(
        self, session: Session[ContextT], topic_filters: list[str]
    ) -> Sequence[int]:
        """One MQTT 5 reason code per filter (0x00, or 0x11 for an unknown filter)."""
        ...

    async def on_disconnect(self, session: Session[ContextT], reason: ReasonCode) -> None:
        """The session ended; ``reason`` as documented on :attr:`Session.close_reason`."""
        ...
