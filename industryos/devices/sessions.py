"""The registry of live device sessions, across transports, and shared-attribute pushes.

Every transport registers each authenticated device session here (MQTT connection, HTTP
long poll, CoAP observe, gateway child). A session says whether it currently wants
shared-attribute updates and server-side RPCs, and knows how to send both in its own wire
format; the registry and the RPC service (``devices/rpc.py``) never see a topic or a
packet.

Shared-attribute pushes (spec device-api §1.5, §2.8): while a device has sessions, the
registry listens to the telemetry service for that one device; a SHARED_SCOPE update is
pushed as ``{"k": v, ...}`` and a deletion as ``{"deleted": [...]}``, in separate
messages, to every session that wants updates. Client and server scope changes push
nothing. Sends run as tasks (a listener must not await); one session's pushes keep their
order because each session sends through its own FIFO.

Design limit: in-process. In a cluster, a change made on another node reaches these
sessions once the telemetry listener bus spans nodes (see ``telemetry/listeners.py``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, DataType
from industryos.telemetry.listeners import AttributesDeleted, AttributesUpdated, TelemetryEvent

__all__ = [
    "DeliveryFailed",
    "DeviceSession",
    "RpcRequest",
    "SessionRegistry",
    "TelemetrySubscriptions",
]

log = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A session could not deliver a message (closed, refused, or not acknowledged)."""


@dataclass(frozen=True, slots=True)
class RpcRequest:
    """A server-side RPC as a session sends it: ``{"method", "params"}`` plus its id."""

    request_id: int
    method: str
    params: str
    """The params as JSON text (any JSON value)."""
    oneway: bool = False

    def body(self, *, with_id: bool = False) -> bytes:
        """The wire body; HTTP and CoAP also carry the id (spec §1.6)."""
        params = orjson.Fragment(self.params)
        if with_id:
            return orjson.dumps({"id": self.request_id, "method": self.method, "params": params})
        return orjson.dumps({"method": self.method, "params": params})


class DeviceSession(Protocol):
    """One live connection of a device, as the core sees it."""

    @property
    def session_id(self) -> uuid.UUID:
        """Unique per session (client-side RPC replies are addressed by it)."""
        ...

    @property
    def wants_attribute_updates(self) -> bool:
        """True once the device subscribed to shared-attribute updates."""
        ...

    @property
    def wants_rpc(self) -> bool:
        """True once the device subscribed to server-side RPCs."""
        ...

    async def send_attribute_update(self, body: bytes) -> None:
        """Push a §1.5 body; raises :class:`DeliveryFailed` when it cannot."""
        ...

    async def send_rpc_request(self, request: RpcRequest) -> None:
        """Send a server RPC; returns once delivered (MQTT: on PUBACK).

        Raises :class:`DeliveryFailed` when the session cannot deliver it.
        """
        ...


class TelemetrySubscriptions(Protocol):
    """What the registry needs from the telemetry service: per-entity listeners."""

    def subscribe(
        self,
        listener: Callable[[TelemetryEvent], None],
        entity_id: uuid.UUID | None = None,
        *,
        points: bool = True,
    ) -> Callable[[], None]:
        """Hear about committed changes of one entity (time-series points only when
        ``points``); returns the unsubscriber."""
        ...


@dataclass(slots=True)
class _DeviceEntry:
    tenant_id: uuid.UUID
    sessions: list[DeviceSession]
    unsubscribe: Callable[[], None]


class SessionRegistry:
    """Device id → live sessions, and the shared-attribute pushes to them."""

    def __init__(self, telemetry: TelemetrySubscriptions) -> None:
        self._telemetry = telemetry
        self._devices: dict[uuid.UUID, _DeviceEntry] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._added: list[Callable[[uuid.UUID], None]] = []
        self._gone: list[Callable[[uuid.UUID], None]] = []
        self._listener = self._on_telemetry_event
        """One bound method for every device's subscription (not a new one per device)."""

    def on_session_added(self, listener: Callable[[uuid.UUID], None]) -> None:
        """Call ``listener(device_id)`` after every :meth:`register` (persistent RPC
        delivers what waited for the device; a listener must not await)."""
        self._added.append(listener)

    def on_device_gone(self, listener: Callable[[uuid.UUID], None]) -> None:
        """Call ``listener(device_id)`` when a device's last session is removed (the
        cluster RPC stops serving it; a listener must not await)."""
        self._gone.append(listener)

    def register(
        self, device_id: uuid.UUID, tenant_id: uuid.UUID, session: DeviceSession
    ) -> Callable[[], None]:
        """Add a live session; returns the function that removes it."""
        entry = self._devices.get(device_id)
        if entry is None:
            unsubscribe = self._telemetry.subscribe(self._listener, device_id, points=False)
            entry = self._devices[device_id] = _DeviceEntry(tenant_id, [], unsubscribe)
        entry.sessions.append(session)
        for listener in self._added:
            listener(device_id)
        return _Unregister(self, device_id, session)

    def _unregister(self, device_id: uuid.UUID, session: DeviceSession) -> None:
        current = self._devices.get(device_id)
        if current is None or session not in current.sessions:
            return
        current.sessions.remove(session)
        if not current.sessions:
            current.unsubscribe()
            del self._devices[device_id]
            for listener in self._gone:
                listener(device_id)

    def sessions_of(self, device_id: uuid.UUID) -> list[DeviceSession]:
        """The live sessions of a device, oldest first."""
        entry = self._devices.get(device_id)
        return list(entry.sessions) if entry is not None else []

    def tenant_of(self, device_id: uuid.UUID) -> uuid.UUID | None:
        """The tenant the device's sessions authenticated in; None without a session."""
        entry = self._devices.get(device_id)
        return entry.tenant_id if entry is not None else None

    def is_connected(self, device_id: uuid.UUID) -> bool:
        """True while the device has at least one live session."""
        return device_id in self._devices

    def __len__(self) -> int:
        return sum(len(entry.sessions) for entry in self._devices.values())

    async def close(self) -> None:
        """Wait for pushes still being sent (bounded by the sessions' own timeouts)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- shared-attribute pushes -----------------------------------------------------------

    def _on_telemetry_event(self, event: TelemetryEvent) -> None:
        body: bytes | None = None
        if isinstance(event, AttributesUpdated) and event.scope is AttributeScope.SHARED_SCOPE:
            body = orjson.dumps(
                {entry.key: orjson.Fragment(_json_value(entry)) for entry in event.entries}
            )
        elif isinstance(event, AttributesDeleted) and event.scope is AttributeScope.SHARED_SCOPE:
            body = orjson.dumps({"deleted": list(event.keys)})
        if body is None:
            return
        entry = self._devices.get(event.entity_id)
        if entry is None:
            return
        for session in entry.sessions:
            if session.wants_attribute_updates:
                self._spawn(self._push(session, body))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _push(session: DeviceSession, body: bytes) -> None:
        try:
            await session.send_attribute_update(body)
        except DeliveryFailed as exc:
            log.debug("attribute update to %s not delivered: %s", session.session_id, exc)


class _Unregister:
    """Removes one session. One is held per idle connection: this slotted object is ~64 B, a
    closure was 216 B plus its cells."""

    __slots__ = ("_device_id", "_registry", "_session")

    def __init__(
        self, registry: SessionRegistry, device_id: uuid.UUID, session: DeviceSession
    ) -> None:
        self._registry = registry
        self._device_id = device_id
        self._session = session

    def __call__(self) -> None:
        self._registry._unregister(self._device_id, self._session)


def _json_value(entry: AttributeKvEntry) -> str:
    """The JSON text of a stored attribute value (JSON values are stored as text)."""
    if entry.data_type is DataType.JSON:
        return str(entry.value)
    return orjson.dumps(entry.value).decode()
