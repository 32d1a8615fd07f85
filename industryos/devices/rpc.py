"""RPC between the server and devices: server-side calls out, client-side calls answered.

Server-side RPC (spec device-api §1.6, §2.9): :class:`ServerRpc` picks the newest live
session of the device that subscribed to RPCs, gives the call the device's next integer
request id, and waits for the delivery (MQTT: the PUBACK of the QoS 1 publish) for at most
``delivery_timeout`` seconds, capped by the call's own timeout. A one-way call ends there
(DELIVERED); a two-way call then waits for the device's reply (RESPONSE) until its
timeout (TIMEOUT). The outcome is the shape the REST RPC endpoints need later.

Client-side RPC (§2.10): the transport puts TO_SERVER_RPC_REQUEST into the rule engine's
queue and registers the call here; the rule engine answers through
:meth:`ClientRpcReplies.reply` with the ``sessionId`` and ``requestId`` of the message's
metadata, or the caller gets ``{"error":"timeout"}`` after the configured timeout.

Design limits: this node's sessions only (``rpc_cluster.py`` reaches the other nodes'). A
call is lost when its node stops; persistent RPCs (stored, queued while the device is
offline) are built on top of this in ``persistent_rpc.py``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from industryos.devices.sessions import DeliveryFailed, RpcRequest, SessionRegistry

__all__ = [
    "CLIENT_RPC_TIMEOUT_BODY",
    "ClientRpcReplies",
    "RpcOutcome",
    "RpcResult",
    "ServerRpc",
]

log = logging.getLogger(__name__)

CLIENT_RPC_TIMEOUT_BODY = '{"error":"timeout"}'
"""What a device gets when the rule engine does not answer its RPC in time."""
_MAX_REQUEST_ID = 2**31 - 1


class RpcOutcome(StrEnum):
    """How a server-side RPC ended."""

    DELIVERED = "DELIVERED"
    """One-way call acknowledged by the device."""
    RESPONSE = "RESPONSE"
    """Two-way call answered; :attr:`RpcResult.response` holds the reply."""
    NO_ACTIVE_CONNECTION = "NO_ACTIVE_CONNECTION"
    """No live session of the device subscribed to RPCs."""
    TIMEOUT = "TIMEOUT"
    """Not delivered, or not answered, in time."""


@dataclass(frozen=True, slots=True)
class RpcResult:
    """The outcome of a server-side RPC, with the device's reply for RESPONSE."""

    outcome: RpcOutcome
    request_id: int | None = None
    response: str | None = None
    """The reply as the device sent it (raw text, usually JSON)."""
    delivered: bool = False
    """True when the device acknowledged the call (also for a two-way TIMEOUT)."""


class ServerRpc:
    """Sends server-side RPCs to devices and routes their replies back."""

    def __init__(self, sessions: SessionRegistry, delivery_timeout: float = 10.0) -> None:
        self._sessions = sessions
        self._delivery_timeout = delivery_timeout
        self._next_id: dict[uuid.UUID, int] = {}
        self._pending: dict[tuple[uuid.UUID, int], asyncio.Future[str]] = {}

    def _allocate_id(self, device_id: uuid.UUID) -> int:
        request_id = self._next_id.get(device_id, 0) % _MAX_REQUEST_ID + 1
        self._next_id[device_id] = request_id
        return request_id

    async def call(
        self,
        device_id: uuid.UUID,
        method: str,
        params: str = "{}",
        *,
        oneway: bool = False,
        timeout_s: float = 10.0,
        on_delivered: Callable[[], Awaitable[None]] | None = None,
    ) -> RpcResult:
        """Send ``method(params)`` (params as JSON text) and wait for the outcome.

        ``on_delivered`` runs once the device acknowledged a two-way call, before its
        reply is awaited (persistent RPC records DELIVERED there).
        """
        session = next(
            (s for s in reversed(self._sessions.sessions_of(device_id)) if s.wants_rpc), None
        )
        if session is None:
            return RpcResult(RpcOutcome.NO_ACTIVE_CONNECTION)
        request = RpcRequest(self._allocate_id(device_id), method, params, oneway)
        key = (device_id, request.request_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        reply: asyncio.Future[str] | None = None
        if not oneway:
            reply = self._pending[key] = loop.create_future()
        try:
            try:
                async with asyncio.timeout(min(self._delivery_timeout, timeout_s)):
                    await session.send_rpc_request(request)
            except (TimeoutError, DeliveryFailed) as exc:
                log.debug("RPC %s to %s not delivered: %r", request.request_id, device_id, exc)
                return RpcResult(RpcOutcome.TIMEOUT, request.request_id)
            if reply is None:
                return RpcResult(RpcOutcome.DELIVERED, request.request_id, delivered=True)
            if on_delivered is not None:
                await on_delivered()
            try:
                async with asyncio.timeout_at(deadline):
                    response = await reply
            except TimeoutError:
                return RpcResult(RpcOutcome.TIMEOUT, request.request_id, delivered=True)
            return RpcResult(RpcOutcome.RESPONSE, request.request_id, response, delivered=True)
        finally:
            self._pending.pop(key, None)

    def on_reply(self, device_id: uuid.UUID, request_id: int, body: str) -> bool:
        """The device answered request ``request_id``; False when nobody waits for it."""
        future = self._pending.pop((device_id, request_id), None)
        if future is None or future.done():
            log.debug("reply to unknown RPC %s of %s", request_id, device_id)
            return False
        future.set_result(body)
        return True

    @property
    def pending(self) -> int:
        """Two-way calls waiting for a reply."""
        return len(self._pending)


class ClientRpcReplies:
    """Client-side RPCs waiting for the rule engine's answer (or their timeout)."""

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._pending: dict[tuple[str, int], asyncio.Future[str]] = {}
        self._timers: dict[tuple[str, int], asyncio.TimerHandle] = {}

    def expect(self, session_id: str, request_id: int) -> asyncio.Future[str]:
        """Register a call; the future gets the answer, or the timeout body, as JSON text.

        A second call with the same session and id replaces the first, which gets the
        timeout body at once (a device reusing ids cannot have two answers on one topic).
        """
        key = (session_id, request_id)
        self._settle(key, CLIENT_RPC_TIMEOUT_BODY)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending[key] = future
        self._timers[key] = loop.call_later(
            self.timeout, self._settle, key, CLIENT_RPC_TIMEOUT_BODY
        )
        return future

    def reply(self, session_id: str, request_id: int, body: str) -> bool:
        """The rule engine's answer (the hook for its RPC-call-reply node).

        ``session_id`` and ``request_id`` are the ``sessionId`` and ``requestId`` metadata
        of the TO_SERVER_RPC_REQUEST message. False when the call is unknown or timed out.
        """
        return self._settle((session_id, int(request_id)), body)

    def cancel(self, session_id: str, request_id: int) -> None:
        """Forget a call (its request could not be queued, or its session ended)."""
        key = (session_id, request_id)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        future = self._pending.pop(key, None)
        if future is not None and not future.done():
            future.cancel()

    def cancel_session(self, session_id: str) -> None:
        """Forget every call of a session that ended."""
        for key in [key for key in self._pending if key[0] == session_id]:
            self.cancel(*key)

    def _settle(self, key: tuple[str, int], body: str) -> bool:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        future = self._pending.pop(key, None)
        if future is None or future.done():
            return False
        future.set_result(body)
        return True

    @property
    def pending(self) -> int:
        """Calls waiting for an answer."""
        return len(self._pending)
