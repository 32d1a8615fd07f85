"""Rows of an entity data query to ``EntityData`` (values as strings, as on the wire)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.query.keys import EntityKeyType
from industryos.entities.query.values import KeyColumns
from industryos.storage.timeseries.columns import decode
from industryos.telemetry.kv import TsKvEntry

__all__ = ["MISSING", "EntityData", "TsValue", "render_row"]

TsValue = dict[str, Any]
"""``{"ts": epoch ms, "value": "text"}``."""

MISSING: TsValue = {"ts": 0, "value": ""}
"""How a key without a value is rendered."""


@dataclass(slots=True)
class EntityData:
    """One entity of a page: its id and latest values grouped by key type."""

    entity_type: EntityType
    entity_id: uuid.UUID
    latest: dict[str, dict[str, TsValue]] = field(default_factory=dict)
    timeseries: dict[str, list[TsValue]] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        """The ``EntityData`` JSON object."""
        return {
            "entityId": entity_id_json(self.entity_type, self.entity_id),
            "latest": self.latest,
            "timeseries": self.timeseries,
        }


def _field_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render_row(row: Sequence[Any], shown: Sequence[KeyColumns], now: int) -> EntityData:
    """An :class:`EntityData` from one result row (columns in ``shown`` order)."""
    entity_type = EntityType(row[1])
    data = EntityData(entity_type, row[0])
    index = 2
    for columns in shown:
        key = columns.key
        if columns.field is not None:
            raw = row[index]
            index += 1
            if key.key == "entityType":
                raw = entity_type.value
            value: TsValue = {"ts": now, "value": _field_text(raw)}
        elif columns.ts is not None:
            ts, *values = row[index : index + 6]
            index += 6
            value = MISSING.copy() if ts is None else _ts_value(key.key, ts, values)
        else:
            value = MISSING.copy()
        data.latest.setdefault(key.type.value, {})[key.key] = value
    return data


def _ts_value(key: str, ts: int, values: list[Any]) -> TsValue:
    try:
        value, data_type = decode(*values)
    except ValueError:
        return MISSING.copy()
    return {"ts": int(ts), "value": TsKvEntry(int(ts), key, value, data_type).value_as_string()}


def latest_key_type(key_type: EntityKeyType) -> str:
    """The group name of a key type in ``EntityData.latest``."""
    return key_type.value
