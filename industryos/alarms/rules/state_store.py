"""Reads and writes the ``alarm_rule_state`` rows of the device profile node.

Rows are keyed by (rule node, device) and every read is scoped by tenant. A read of all of
a node's rows joins the device table in the same tenant, so a row whose device is gone (or
belongs to another tenant) is never restored; the device foreign key deletes rows with the
device anyway. Writes are upserts of many devices in one transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from industryos.alarms.rules.schema import alarm_rule_state
from industryos.entities.ids import now_ms
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.in_lists import in_lists

__all__ = ["AlarmRuleStateStore", "StoredState"]

log = logging.getLogger(__name__)

Json = dict[str, Any]
StoredState = tuple[str, Json]
"""A row's raw JSON text (to compare against before writing) and its parsed form."""

_s = alarm_rule_state.c


def _parse(raw: str) -> StoredState | None:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return (raw, data) if isinstance(data, dict) else None


class AlarmRuleStateStore:
    """Persisted alarm-rule state of devices, per device profile rule node."""

    def __init__(self, db: Database) -> None:
        self._db = db
        insert: Any = sqlite.insert if db.is_sqlite else postgresql.insert
        statement = insert(alarm_rule_state)
        self._upsert = statement.on_conflict_do_update(
            index_elements=[_s.rule_node_id, _s.device_id],
            set_={
                "state_data": statement.excluded.state_data,
                "updated_time": statement.excluded.updated_time,
                "tenant_id": statement.excluded.tenant_id,
            },
        )

    async def load_many(
        self, tenant_id: uuid.UUID, node_id: uuid.UUID, device_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, StoredState]:
        """The stored states of some devices under ``node_id`` (those that have one)."""
        found: dict[uuid.UUID, StoredState] = {}
        async with self._db.read() as conn:
            for chunk in in_lists(device_ids):
                query = sa.select(_s.device_id, _s.state_data).where(
                    _s.tenant_id == tenant_id,
                    _s.rule_node_id == node_id,
                    _s.device_id.in_(chunk),
                )
                for device_id, raw in (await conn.execute(query)).all():
                    parsed = _parse(raw)
                    if parsed is not None:
                        found[device_id] = parsed
        return found

    async def load_all(
        self, tenant_id: uuid.UUID, node_id: uuid.UUID
    ) -> dict[uuid.UUID, StoredState]:
        """Every stored state of ``node_id`` whose device still exists in ``tenant_id``."""
        d = schema.device
        query = (
            sa.select(_s.device_id, _s.state_data)
            .join(d, sa.and_(d.c.id == _s.device_id, d.c.tenant_id == _s.tenant_id))
            .where(_s.tenant_id == tenant_id, _s.rule_node_id == node_id)
        )
        found: dict[uuid.UUID, StoredState] = {}
        async with self._db.read() as conn:
            for device_id, raw in (await conn.execute(query)).all():
                parsed = _parse(raw)
                if parsed is not None:
                    found[device_id] = parsed
        return found

    async def save(
        self, tenant_id: uuid.UUID, node_id: uuid.UUID, states: Mapping[uuid.UUID, str]
    ) -> bool:
        """Upsert the states (JSON text by device) in one transaction.

        False when a device was deleted meanwhile (its foreign key refused the batch); the
        caller keeps its states unsaved and the next change retries without that device.
        """
        if not states:
            return True
        ts = now_ms()
        rows = [
            {
                "rule_node_id": node_id,
                "device_id": device_id,
                "tenant_id": tenant_id,
                "updated_time": ts,
                "state_data": raw,
            }
            for device_id, raw in sorted(states.items())
        ]
        try:
            async with self._db.engine.begin() as conn:
                await conn.execute(self._upsert, rows)
        except IntegrityError:
            log.debug("alarm rule state of a deleted device not saved (node %s)", node_id)
            return False
        return True

    async def delete_device(self, tenant_id: uuid.UUID, device_id: uuid.UUID) -> None:
        """Forget a device's states under every node of its tenant."""
        async with self._db.engine.begin() as conn:
            await conn.execute(
                sa.delete(alarm_rule_state).where(
                    _s.tenant_id == tenant_id, _s.device_id == device_id
                )
            )
