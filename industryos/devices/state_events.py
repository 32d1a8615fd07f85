"""Device state events (spec §8): what a device is, and the rule-engine messages about it.

The tracker (``devices/state.py``) notices transitions on its hot path with no I/O; this
module does the rest off the hot path: it reads a device's name, type, label, owner and its
stored state attributes (``inactivityTimeout`` among them) once, on the device's first
event, and builds the ACTIVITY/INACTIVITY/CONNECT/DISCONNECT messages that go to the rule
engine's queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from industryos.entities.ids import NULL_UUID, EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope

__all__ = [
    "STATE_EVENTS",
    "DeviceDirectory",
    "DeviceInfo",
    "StateDirectory",
    "StoredState",
    "event_msg",
]

STATE_EVENTS = frozenset(
    {
        MsgType.ACTIVITY_EVENT,
        MsgType.INACTIVITY_EVENT,
        MsgType.CONNECT_EVENT,
        MsgType.DISCONNECT_EVENT,
    }
)

INACTIVITY_TIMEOUT = "inactivityTimeout"
"""The per-device SERVER_SCOPE attribute (milliseconds; ≤ 0 means the global default)."""


@dataclass(frozen=True, slots=True)
class StoredState:
    """The state attributes stored before this process saw the device (0 = never)."""

    active: bool = False
    last_activity: int = 0
    last_connect: int = 0
    last_disconnect: int = 0
    inactivity_alarm: int = 0


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """What an event message says about its device."""

    name: str
    type: str
    label: str | None
    customer_id: uuid.UUID
    inactivity_timeout_ms: int = 0
    """The device's own timeout (0: none, the global default applies)."""
    stored: StoredState = field(default_factory=StoredState)

    def metadata(self) -> dict[str, str]:
        """``deviceName``, ``deviceLabel``, ``deviceType``, ``scope`` of an event message."""
        return {
            "deviceName": self.name,
            "deviceLabel": self.label or "",
            "deviceType": self.type,
            "scope": AttributeScope.SERVER_SCOPE.value,
        }


class DeviceDirectory(Protocol):
    """Where the tracker learns what a device is (one read per device and process)."""

    async def device_info(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> DeviceInfo | None:
        """The device of ``tenant_id`` (None if there is no such device)."""
        ...


def timeout_ms(value: Any) -> int:
    """An ``inactivityTimeout`` attribute value in ms; unusable or ≤ 0 → 0 (use the default)."""
    if isinstance(value, bool):
        return 0
    try:
        ms = int(float(value))
    except (TypeError, ValueError):
        return 0
    return max(ms, 0)


def _stored(entries: list[AttributeKvEntry]) -> tuple[StoredState, int]:
    values = {e.key: e.native_value() for e in entries}

    def ms(key: str) -> int:
        value = values.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else 0

    stored = StoredState(
        active=values.get("active") is True,
        last_activity=ms("lastActivityTime"),
        last_connect=ms("lastConnectTime"),
        last_disconnect=ms("lastDisconnectTime"),
        inactivity_alarm=ms("inactivityAlarmTime"),
    )
    return stored, timeout_ms(values.get(INACTIVITY_TIMEOUT))


class AttributeReader(Protocol):
    """What the directory needs from the telemetry service."""

    async def get_attributes(
        self,
        tenant_id: uuid.UUID,
        entity_id: uuid.UUID,
        scope: AttributeScope | None = None,
        keys: Iterable[str] | None = None,
    ) -> dict[AttributeScope, list[AttributeKvEntry]]:
        """Attributes of an entity by scope."""
        ...


class StateDirectory:
    """Reads devices and their SERVER_SCOPE state attributes from storage."""

    def __init__(self, db: Database, attributes: AttributeReader) -> None:
        self._db = db
        self._attributes = attributes

    async def device_info(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> DeviceInfo | None:
        """One device row and its server attributes."""
        d = schema.device
        async with self._db.read() as conn:
            row = (
                (
                    await conn.execute(
                        sa.select(d.c.name, d.c.type, d.c.label, d.c.customer_id).where(
                            d.c.id == device_id, d.c.tenant_id == tenant_id
                        )
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        server = AttributeScope.SERVER_SCOPE
        found = await self._attributes.get_attributes(tenant_id, device_id, server)
        stored, timeout = _stored(found.get(server, []))
        return DeviceInfo(
            name=row["name"],
            type=row["type"] or "default",
            label=row["label"],
            customer_id=row["customer_id"] or NULL_UUID,
            inactivity_timeout_ms=timeout,
            stored=stored,
        )


def event_msg(
    msg_type: MsgType,
    tenant_id: uuid.UUID,
    device_id: uuid.UUID,
    info: DeviceInfo,
    state: dict[str, Any],
    ts: int,
) -> Msg:
    """The rule-engine message of one state event (data = the state JSON)."""
    return Msg(
        type=msg_type.value,
        originator=EntityRef(EntityType.DEVICE, device_id),
        tenant_id=tenant_id,
        customer_id=info.customer_id,
        data=orjson.dumps(state).decode(),
        metadata=info.metadata(),
        ts=ts,
    )
