"""The rows one new device becomes in a bulk import, and their multi-row insert.

A device, its credentials, its attributes and its audit entry are built in memory (ids and
times assigned here), so a batch of them is written with one INSERT per table in one
transaction (``bulk_import.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.bulk_import_rows import Draft
from industryos.entities.credentials import normalize
from industryos.entities.ids import EntityType, new_id, now_ms
from industryos.entities.models import ActionType, AuditLog, Device, DeviceCredentials
from industryos.entities.models.device import default_device_data
from industryos.storage import schema
from industryos.storage.repositories import Repositories
from industryos.storage.timeseries.columns import value_columns

__all__ = ["DeviceRows", "device_rows", "insert_rows"]

DeviceRows = tuple[Device, dict[str, list[dict[str, Any]]]]
"""A new device and its rows per table."""

_TABLES = ("device", "device_credentials", "attribute_kv", "audit_log")


def device_rows(
    repos: Repositories,
    caller: Caller,
    draft: Draft,
    profile: tuple[uuid.UUID, str],
    customer_id: uuid.UUID,
    keys: dict[str, int],
) -> DeviceRows:
    """The rows of one new device of ``profile`` (id, name) owned by ``customer_id``."""
    now = now_ms()
    profile_id, profile_name = profile
    device = Device(
        id=new_id(),
        created_time=now,
        tenant_id=caller.tenant_id,
        customer_id=customer_id,
        device_profile_id=profile_id,
        name=draft.name,
        type=profile_name,
        label=draft.label,
        device_data=default_device_data(),
        additional_info=draft.additional_info({"gateway": False}),
        version=1,
    )
    creds = draft.credentials or normalize(DeviceCredentials())
    creds = creds.model_copy(
        update={"id": new_id(), "created_time": now, "device_id": device.id, "version": 1}
    )
    audit = AuditLog(
        id=new_id(),
        created_time=now,
        tenant_id=caller.tenant_id,
        customer_id=customer_id,
        entity_type=EntityType.DEVICE,
        entity_id=device.id,
        entity_name=device.name,
        user_id=caller.user_id,
        user_name=caller.email,
        action_type=ActionType.ADDED,
    )
    attributes = [
        {
            "entity_id": device.id,
            "attribute_type": scope.value,
            "attribute_key": keys[entry.key],
            **value_columns(entry.data_type, entry.value),
            "last_update_ts": now,
        }
        for scope, entries in draft.attributes.items()
        for entry in {e.key: e for e in entries}.values()
    ]
    return device, {
        "device": [repos.devices.to_row(device)],
        "device_credentials": [repos.device_credentials.to_row(creds)],
        "audit_log": [repos.audit_logs.to_row(audit)],
        "attribute_kv": attributes,
    }


async def insert_rows(conn: AsyncConnection, rows: list[DeviceRows]) -> None:
    """Insert the rows of many devices: one multi-row INSERT per table."""
    for name in _TABLES:
        values = [row for _, tables in rows for row in tables[name]]
        if values:
            await conn.execute(sa.insert(schema.metadata.tables[name]), values)
