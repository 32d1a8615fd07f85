"""Device state events (spec §8): what a device is, and the rule-engine messages about it.

The tracker (``devices/state.py``) notices transitions on its hot path with no I/O; this
module does the rest off the hot path: it reads a device's name, type, label, owner and its
stored state attributes (``inactivityTimeout`` among them) once, on the device's first
event, and builds the ACTIVITY/INACTIVITY/CONNECT/DISCONNECT messages that go to the rule
engine's queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import sqlalchemy as sa

from industryos.entities.ids import NULL_UUID, EntityType
from industryos.msg import EntityRef, Msg, MsgType
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.in_lists import in_lists
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
    """Where the tracker learns what devices are (one read per device and process)."""

    async def device_infos(
        self, devices: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[uuid.UUID, DeviceInfo]:
        """``(tenant, device)`` pairs → info by device id (pairs that are no device of
        that tenant are left out)."""
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

    async def get_attributes_many(
        self, tenant_id: uuid.UUID, entity_ids: Sequence[uuid.UUID], scope: AttributeScope
    ) -> dict[uuid.UUID, list[AttributeKvEntry]]:
        """Attributes of one scope for many entities."""
        ...


class StateDirectory:
    """Reads devices and their SERVER_SCOPE state attributes from storage, many at once: a
    fleet reconnecting after a restart needs all of them together."""

    def __init__(self, db: Database, attributes: AttributeReader) -> None:
        self._db = db
        self._attributes = attributes

    async def device_infos(
        self, devices: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[uuid.UUID, DeviceInfo]:
        """Device rows and their server attributes, a few statements per ``IN`` list."""
        wanted = dict((device_id, tenant_id) for tenant_id, device_id in devices)
        d = schema.device
        rows: list[sa.RowMapping] = []
        async with self._db.read() as conn:
            for chunk in in_lists(sorted(wanted)):
                query = sa.select(
                    d.c.id, d.c.tenant_id, d.c.name, d.c.type, d.c.label, d.c.customer_id
                ).where(d.c.id.in_(chunk))
                rows += (await conn.execute(query)).mappings().all()
        rows = [row for row in rows if wanted[row["id"]] == row["tenant_id"]]
        server = AttributeScope.SERVER_SCOPE
        attributes: dict[uuid.UUID, list[AttributeKvEntry]] = {}
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = {}
        for row in rows:
            by_tenant.setdefault(row["tenant_id"], []).append(row["id"])
        for tenant_id, ids in by_tenant.items():
            attributes.update(await self._attributes.get_attributes_many(tenant_id, ids, server))
        found: dict[uuid.UUID, DeviceInfo] = {}
        for row in rows:
            stored, timeout = _stored(attributes.get(row["id"], []))
            found[row["id"]] = DeviceInfo(
                name=row["name"],
                type=row["type"] or "default",
                label=row["label"],
                customer_id=row["customer_id"] or NULL_UUID,
                inactivity_timeout_ms=timeout,
                stored=stored,
            )
        return found


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
