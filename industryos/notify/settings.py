"""Mail, SMS and notification (Slack) settings, per system and per tenant; secrets write-only.

The system's settings (NULL tenant) are the default; a tenant's own settings of the same
key replace them for that tenant. Secrets (SMTP password, Twilio token, bot token…) are
stored, used by the channels, and never returned: :func:`masked` drops them from what REST
answers, and a save that leaves a secret out keeps the stored one, so a client can round
trip the settings it read without erasing the password it was never shown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from industryos.entities.ids import NULL_UUID
from industryos.notify import schema
from industryos.notify.enums import SettingsKey
from industryos.storage.database import Database

__all__ = ["SECRET_FIELDS", "SettingsStore", "masked", "merge_secrets"]

SECRET_FIELDS = frozenset(
    {
        "password",
        "accountToken",
        "authToken",
        "botToken",
        "apiKey",
        "webhookUrl",
        "secret",
        "secretAccessKey",
    }
)
"""Keys whose values never leave the server."""

Json = dict[str, Any]


def masked(value: Mapping[str, Any]) -> Json:
    """``value`` without its secrets (recursively)."""
    return {
        k: masked(v) if isinstance(v, Mapping) else v
        for k, v in value.items()
        if k not in SECRET_FIELDS
    }


def merge_secrets(new: Mapping[str, Any], old: Mapping[str, Any]) -> Json:
    """``new``, with each secret it leaves out (or sends empty) taken from ``old``."""
    merged: Json = dict(new)
    for key, previous in old.items():
        current = merged.get(key)
        if key in SECRET_FIELDS and current in (None, ""):
            merged[key] = previous
        elif isinstance(current, Mapping) and isinstance(previous, Mapping):
            merged[key] = merge_secrets(current, previous)
    return merged


class SettingsStore:
    """Settings rows of ``notification_settings``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, tenant_id: uuid.UUID, key: SettingsKey) -> Json | None:
        """The stored settings of exactly this tenant (NULL UUID = system), with secrets."""
        t = schema.notification_settings
        async with self._db.read() as conn:
            value = (
                await conn.execute(
                    sa.select(t.c.value).where(t.c.tenant_id == tenant_id, t.c.key == key.value)
                )
            ).scalar_one_or_none()
        return dict(value) if isinstance(value, Mapping) else None

    async def effective(self, tenant_id: uuid.UUID, key: SettingsKey) -> Json | None:
        """The tenant's settings, else the system's."""
        own = await self.get(tenant_id, key) if tenant_id != NULL_UUID else None
        return own if own is not None else await self.get(NULL_UUID, key)

    async def save(self, tenant_id: uuid.UUID, key: SettingsKey, value: Mapping[str, Any]) -> Json:
        """Store ``value`` (omitted secrets kept); returns what was stored."""
        t = schema.notification_settings
        async with self._db.transaction() as conn:
            old = (
                await conn.execute(
                    sa.select(t.c.value).where(t.c.tenant_id == tenant_id, t.c.key == key.value)
                )
            ).scalar_one_or_none()
            stored = merge_secrets(value, old if isinstance(old, Mapping) else {})
            if old is None:
                await conn.execute(
                    t.insert().values(tenant_id=tenant_id, key=key.value, value=stored)
                )
            else:
                await conn.execute(
                    t.update()
                    .where(t.c.tenant_id == tenant_id, t.c.key == key.value)
                    .values(value=stored)
                )
        return stored
