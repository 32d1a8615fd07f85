"""Settings: secrets masked on the way out, kept when a save leaves them out (both engines)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.ids import NULL_UUID
from industryos.notify.enums import SettingsKey
from industryos.notify.settings import SettingsStore, masked, merge_secrets
from industryos.storage.database import Database


def test_masked_drops_nested_secrets() -> None:
    value = {"smtpHost": "h", "password": "p", "nested": {"botToken": "t", "keep": 1}}
    assert masked(value) == {"smtpHost": "h", "nested": {"keep": 1}}


def test_merge_keeps_omitted_or_empty_secrets_only() -> None:
    old = {"password": "old", "smtpHost": "a", "cfg": {"botToken": "t"}}
    assert merge_secrets({"smtpHost": "b", "password": ""}, old) == {
        "smtpHost": "b",
        "password": "old",
    }  # a non-secret left out is removed: only secrets are write-only
    assert merge_secrets({"password": "new"}, old)["password"] == "new"
    assert merge_secrets({"cfg": {"x": 1}}, old)["cfg"] == {"x": 1, "botToken": "t"}


async def test_tenant_settings_override_system_settings(engine: AsyncEngine) -> None:
    store = SettingsStore(Database(engine))
    tenant = uuid.uuid4()
    assert await store.effective(tenant, SettingsKey.MAIL) is None
    await store.save(NULL_UUID, SettingsKey.MAIL, {"smtpHost": "sys", "password": "s"})
    assert (await store.effective(tenant, SettingsKey.MAIL) or {})["smtpHost"] == "sys"
    await store.save(tenant, SettingsKey.MAIL, {"smtpHost": "own", "password": "p"})
    await store.save(tenant, SettingsKey.MAIL, {"smtpHost": "own2"})
    assert await store.effective(tenant, SettingsKey.MAIL) == {"smtpHost": "own2", "password": "p"}
    assert (await store.get(NULL_UUID, SettingsKey.MAIL) or {})["smtpHost"] == "sys"
