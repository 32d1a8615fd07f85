"""Telemetry and attributes as users reach them: access-checked, audited and announced.

The telemetry service trusts its callers (transports, rule nodes) with entity ids. People
come through REST, so every call here first resolves the entity's owner and checks the
caller against it (tenant; customer for customer users, who may read and write telemetry
and attributes of their own customer's entities). Writes are then audited and announced to
the rule engine as TIMESERIES_UPDATED / ATTRIBUTES_UPDATED / …_DELETED (spec §3.5, §5.2).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.entity_lookup import EntityLookup, Owner
from industryos.entities.events import MsgPublisher, entity_msg
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType
from industryos.msg import MsgType
from industryos.telemetry.kv import AttributeKvEntry, AttributeScope, KvEntry, TsKvEntry
from industryos.telemetry.query import TsQuery
from industryos.telemetry.service import TelemetryService


def _timeseries_body(entries: Sequence[TsKvEntry]) -> list[dict[str, Any]]:
    """Points grouped by ts: ``[{"ts": …, "values": {key: value}}]`` in ts order."""
    by_ts: dict[int, dict[str, Any]] = {}
    for entry in entries:
        by_ts.setdefault(entry.ts, {})[entry.key] = entry.native_value()
    return [{"ts": ts, "values": values} for ts, values in sorted(by_ts.items())]


class TelemetryAccess:
    """The REST face of the telemetry service."""

    def __init__(
        self,
        lookup: EntityLookup,
        telemetry: TelemetryService,
        audit: AuditService,
        publisher: MsgPublisher,
    ) -> None:
        self._lookup = lookup
        self._telemetry = telemetry
        self._audit = audit
        self._publisher = publisher

    async def owner(self, caller: Caller, entity_type: EntityType, entity_id: uuid.UUID) -> Owner:
        """The entity's owner, once the caller is known to be allowed to touch it."""
        return await self._lookup.check(caller, entity_type, entity_id)

    # Reads

    async def timeseries_keys(
        self, caller: Caller, entity_type: EntityType, entity_id: uuid.UUID
    ) -> list[str]:
        """Time-series keys of an entity."""
        owner = await self.owner(caller, entity_type, entity_id)
        return await self._telemetry.get_timeseries_keys(owner.tenant_id, owner.id)

    async def attribute_keys(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        scope: AttributeScope | None,
    ) -> list[str]:
        """Attribute keys of one scope (all scopes if None)."""
        owner = await self.owner(caller, entity_type, entity_id)
        return await self._telemetry.get_attribute_keys(owner.tenant_id, owner.id, scope)

    async def attributes(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        scope: AttributeScope | None,
        keys: Sequence[str] | None,
    ) -> list[AttributeKvEntry]:
        """Attribute values of one scope (all scopes if None)."""
        owner = await self.owner(caller, entity_type, entity_id)
        found = await self._telemetry.get_attributes(owner.tenant_id, owner.id, scope, keys)
        return [entry for entries in found.values() for entry in entries]

    async def latest(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        keys: Sequence[str] | None,
    ) -> list[TsKvEntry]:
        """The latest point of each key (all keys if None)."""
        owner = await self.owner(caller, entity_type, entity_id)
        return await self._telemetry.get_latest(owner.tenant_id, owner.id, keys)

    async def history(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        keys: Sequence[str] | None,
        make_query: Callable[[str], TsQuery],
    ) -> dict[str, list[TsKvEntry]]:
        """History of ``keys`` (all time-series keys if None); ``make_query(key)`` → TsQuery."""
        owner = await self.owner(caller, entity_type, entity_id)
        if keys is None:
            keys = await self._telemetry.get_timeseries_keys(owner.tenant_id, owner.id)
        queries = [make_query(key) for key in keys]
        if not queries:
            return {}
        return await self._telemetry.get_history(owner.tenant_id, owner.id, queries)

    # Writes

    async def save_timeseries(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        entries: Sequence[TsKvEntry],
        ttl_s: int = 0,
    ) -> None:
        """Store points; audit TIMESERIES_UPDATED and announce them to the rule engine."""
        owner = await self.owner(caller, entity_type, entity_id)
        await self._telemetry.save_timeseries(owner.tenant_id, owner.id, entries, ttl_s)
        body = {"timeseries": _timeseries_body(entries)}
        metadata = {"ttl": str(ttl_s)} if ttl_s else {}
        await self._announce(
            caller, owner, ActionType.TIMESERIES_UPDATED, MsgType.TIMESERIES_UPDATED, body, metadata
        )

    async def save_attributes(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        entries: Sequence[KvEntry],
    ) -> None:
        """Upsert attributes; audit ATTRIBUTES_UPDATED and announce them."""
        owner = await self.owner(caller, entity_type, entity_id)
        saved = await self._telemetry.save_attributes(owner.tenant_id, owner.id, scope, entries)
        body = {entry.key: entry.native_value() for entry in saved}
        await self._announce(
            caller,
            owner,
            ActionType.ATTRIBUTES_UPDATED,
            MsgType.ATTRIBUTES_UPDATED,
            body,
            {"scope": scope.value},
            audit_data={"scope": scope.value, "attributes": body},
        )

    async def delete_attributes(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        scope: AttributeScope,
        keys: Sequence[str],
    ) -> None:
        """Delete attributes; audit ATTRIBUTES_DELETED and announce the keys."""
        owner = await self.owner(caller, entity_type, entity_id)
        await self._telemetry.delete_attributes(owner.tenant_id, owner.id, scope, keys)
        body = {"attributes": list(keys)}
        await self._announce(
            caller,
            owner,
            ActionType.ATTRIBUTES_DELETED,
            MsgType.ATTRIBUTES_DELETED,
            body,
            {"scope": scope.value},
            audit_data={"scope": scope.value, **body},
        )

    async def delete_timeseries(
        self,
        caller: Caller,
        entity_type: EntityType,
        entity_id: uuid.UUID,
        keys: Sequence[str],
        start_ts: int,
        end_ts: int,
        *,
        delete_latest: bool,
        rewrite_latest: bool,
    ) -> None:
        """Delete ``[start_ts, end_ts)`` of ``keys``; audit and announce TIMESERIES_DELETED."""
        owner = await self.owner(caller, entity_type, entity_id)
        await self._telemetry.delete_timeseries(
            owner.tenant_id,
            owner.id,
            keys,
            start_ts,
            end_ts,
            delete_latest=delete_latest,
            rewrite_latest=rewrite_latest,
        )
        body = {"timeseries": list(keys), "startTs": start_ts, "endTs": end_ts}
        await self._announce(
            caller, owner, ActionType.TIMESERIES_DELETED, MsgType.TIMESERIES_DELETED, body, {}
        )

    async def _announce(
        self,
        caller: Caller,
        owner: Owner,
        action: ActionType,
        msg_type: MsgType,
        data: Any,
        metadata: dict[str, str],
        *,
        audit_data: Any = None,
    ) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=owner.entity_type,
            entity_id=owner.id,
            entity_name=owner.name,
            customer_id=owner.customer_id,
            data=audit_data if audit_data is not None else data,
        )
        await self._publisher.publish(
            entity_msg(
                msg_type,
                owner.entity_type,
                owner.id,
                owner.tenant_id,
                data,
                customer_id=owner.customer_id,
                metadata={"userId": str(caller.user_id), "userName": caller.email, **metadata},
            )
        )
