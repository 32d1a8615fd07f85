"""CoAP observations as device sessions (spec device-api §4, RFC 7641).

A GET with Observe=0 on ``attributes`` or ``rpc`` becomes a :class:`CoapObservation`, a
live session in the :class:`SessionRegistry`: shared-attribute pushes and server RPCs are
queued on it and the resource sends each as a notification. Observations are keyed by the
peer's address and port, the device and the feature: a new registration for the same key
replaces the old one, which is ended with 2.02 Deleted. Deregistration (Observe=1 on the
same token), a reset from the peer or a notification the peer never acknowledges cancel
the resource's task, whose cleanup closes the session.

Design limit: an RPC counts as delivered once it is queued for a live observation; the
CON acknowledgement of the notification is aiocoap's business and not reported back.
"""

from __future__ import annotations

import asyncio
import uuid
from enum import Enum

from industryos.devices.sessions import DeliveryFailed, RpcRequest

__all__ = ["CoapObservation", "ObservationKind", "Observations"]


class ObservationKind(Enum):
    """What an observation carries."""

    ATTRIBUTES = "attributes"
    RPC = "rpc"


class CoapObservation:
    """One observation: a :class:`DeviceSession` that queues notification bodies."""

    def __init__(self, kind: ObservationKind) -> None:
        self.kind = kind
        self.session_id = uuid.uuid4()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._closed = False

    def __repr__(self) -> str:
        return f"<CoapObservation {self.kind.value} {self.session_id}>"

    @property
    def closed(self) -> bool:
        """True once the observation ended (replaced, cancelled or stopped)."""
        return self._closed

    @property
    def wants_attribute_updates(self) -> bool:
        """True while an attribute observation is live."""
        return self.kind is ObservationKind.ATTRIBUTES and not self._closed

    @property
    def wants_rpc(self) -> bool:
        """True while an RPC observation is live."""
        return self.kind is ObservationKind.RPC and not self._closed

    def _put(self, body: bytes) -> None:
        if self._closed:
            raise DeliveryFailed("the observation ended")
        self._queue.put_nowait(body)

    async def send_attribute_update(self, body: bytes) -> None:
        """Queue a §1.5 notification."""
        if self.kind is not ObservationKind.ATTRIBUTES:
            raise DeliveryFailed("not an attribute observation")
        self._put(body)

    async def send_rpc_request(self, request: RpcRequest) -> None:
        """Queue ``{"id", "method", "params"}`` (§1.6)."""
        if self.kind is not ObservationKind.RPC:
            raise DeliveryFailed("not an RPC observation")
        self._put(request.body(with_id=True))

    async def next_body(self) -> bytes | None:
        """The next notification body; None once the observation was ended by the server."""
        return await self._queue.get()

    def end(self) -> None:
        """End from the server side: the waiting resource task sends its final response."""
        if not self._closed:
            self._closed = True
            self._queue.put_nowait(None)

    def close(self) -> None:
        """Mark ended without a final response (the peer went away)."""
        self._closed = True


ObservationKey = tuple[str, uuid.UUID, ObservationKind]
"""Peer ``host:port``, device id, kind."""


class Observations:
    """Live observations by peer, device and kind; one per key."""

    def __init__(self) -> None:
        self._live: dict[ObservationKey, CoapObservation] = {}

    def open(self, key: ObservationKey) -> CoapObservation:
        """A new observation for ``key``; the one it replaces is ended."""
        old = self._live.pop(key, None)
        if old is not None:
            old.end()
        observation = self._live[key] = CoapObservation(key[2])
        return observation

    def done(self, key: ObservationKey, observation: CoapObservation) -> None:
        """Forget an observation that ended (if it is still the one for ``key``)."""
        observation.close()
        if self._live.get(key) is observation:
            del self._live[key]

    def cancel(self, key: ObservationKey) -> bool:
        """End the observation of ``key`` (Observe=1); False when there was none."""
        observation = self._live.pop(key, None)
        if observation is None:
            return False
        observation.end()
        return True

    def end_all(self) -> None:
        """End every observation (the transport stops)."""
        for observation in self._live.values():
            observation.end()
        self._live.clear()

    def __len__(self) -> int:
        return len(self._live)
