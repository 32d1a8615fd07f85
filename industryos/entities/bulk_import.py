"""CSV bulk import of devices and assets, with a result per row and no partial rows.

Rows are parsed and validated first (``bulk_import_rows``); then storage is asked once per
batch, not per row: which names exist, which credentials ids are taken, which customer
titles and profiles there are. New devices are written 1,000 to a transaction with one
multi-row insert each for devices, credentials, attributes and audit entries (so 10,000
devices take seconds, not minutes); if a batch fails (a row raced with another writer),
its rows are written one per transaction and only the culprits fail. Existing devices
(``update: true``) and assets go through the entity services row by row, so their
caches, listeners and pushes see every change; every row is validated before its first
write. After the writes, the rule engine gets ENTITY_CREATED for each new device, the
time series are stored through the telemetry service and ``on_devices_created`` hears
the new devices (OTA gives them their profile's packages).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.asset_service import AssetService
from industryos.entities.bulk_import_model import (
    BulkImportRequest,
    BulkImportResult,
    RowOutcome,
    RowResult,
)
from industryos.entities.bulk_import_rows import Draft, parse_rows
from industryos.entities.bulk_import_writes import device_rows, insert_rows
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.device_service import DeviceService
from industryos.entities.errors import EntitiesLimitExceeded, EntityError
from industryos.entities.events import MsgPublisher, entity_msg
from industryos.entities.ids import NULL_UUID, EntityType, now_ms
from industryos.entities.models import (
    Asset,
    Authority,
    Device,
)
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.msg import MsgType
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories
from industryos.storage.timeseries.keys import KeyDictionary
from industryos.telemetry.kv import KvEntry, TsKvEntry
from industryos.telemetry.service import TelemetryService

__all__ = ["BulkImport"]

log = logging.getLogger(__name__)

BATCH = 1000
_LOOKUP = 500
CreatedListener = Callable[[list[tuple[uuid.UUID, uuid.UUID]]], None]


def _error(draft: Draft, message: str) -> RowResult:
    return RowResult(line=draft.line, name=draft.name, result=RowOutcome.ERROR, error=message)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class BulkImport:
    """Imports devices and assets for tenant admins."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        devices: DeviceService,
        profiles: DeviceProfileService,
        assets: AssetService,
        telemetry: TelemetryService,
        keys: KeyDictionary,
        publisher: MsgPublisher,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self._repos = repos
        self._devices = devices
        self._profiles = profiles
        self._assets = assets
        self._telemetry = telemetry
        self._keys = keys
        self._publisher = publisher
        self._created_listeners: list[CreatedListener] = []

    def on_devices_created(self, listener: CreatedListener) -> None:
        """Call ``listener([(tenant id, device id), …])`` after new devices are stored."""
        self._created_listeners.append(listener)

    # --- devices -------------------------------------------------------------------------

    async def import_devices(self, caller: Caller, request: BulkImportRequest) -> BulkImportResult:
        """Create (and with ``update``, update) the devices of a CSV."""
        caller.require(Authority.TENANT_ADMIN)
        drafts, refused = parse_rows(request, devices=True)
        outcomes = list(refused)
        existing = await self._existing_devices(caller.tenant_id, [d.name for d in drafts])
        customers = await self._customers(caller.tenant_id, drafts)
        taken = await self._taken_credentials(drafts)
        seen_credentials: dict[str, int] = {}
        creates: list[Draft] = []
        updates: list[tuple[Draft, Device]] = []
        for draft in drafts:
            problem = self._check(draft, customers, taken, existing, seen_credentials)
            if problem is not None:
                outcomes.append(_error(draft, problem))
            elif draft.name in existing:
                if request.mapping.update:
                    updates.append((draft, existing[draft.name]))
                else:
                    outcomes.append(_error(draft, "Device with such name already exists!"))
            else:
                creates.append(draft)
        outcomes += await self._create_devices(caller, creates, customers)
        for draft, device in updates:
            outcomes.append(await self._update_device(caller, draft, device, customers))
        return self._result(outcomes)

    def _check(
        self,
        draft: Draft,
        customers: dict[str, uuid.UUID],
        taken: dict[str, uuid.UUID],
        existing: dict[str, Device],
        seen: dict[str, int],
    ) -> str | None:
        if draft.customer is not None and draft.customer not in customers:
            return f"Customer {draft.customer!r} is not found"
        creds = draft.credentials
        if creds is None or creds.credentials_id is None:
            return None
        owner = taken.get(creds.credentials_id)
        own = existing.get(draft.name)
        if owner is not None and (own is None or own.id != owner):
            return "Device credentials are already assigned to another device!"
        earlier = seen.setdefault(creds.credentials_id, draft.line)
        if earlier != draft.line:
            return f"Device credentials are the same as on line {earlier}"
        return None

    async def _existing_devices(
        self, tenant_id: uuid.UUID | None, names: list[str]
    ) -> dict[str, Device]:
        table = schema.device
        found: dict[str, Device] = {}
        async with self._db.read() as conn:
            for chunk in _chunks(names, _LOOKUP):
                rows = await self._repos.devices.find_all(
                    conn, table.c.tenant_id == tenant_id, table.c.name.in_(list(chunk))
                )
                found.update((device.name, device) for device in rows)
        return found

    async def _customers(
        self, tenant_id: uuid.UUID | None, drafts: Sequence[Draft]
    ) -> dict[str, uuid.UUID]:
        titles = sorted({d.customer for d in drafts if d.customer is not None})
        table = schema.customer
        found: dict[str, uuid.UUID] = {}
        async with self._db.read() as conn:
            for chunk in _chunks(titles, _LOOKUP):
                query = sa.select(table.c.title, table.c.id).where(
                    table.c.tenant_id == tenant_id, table.c.title.in_(list(chunk))
                )
                found.update((row[0], row[1]) for row in await conn.execute(query))
        return found

    async def _taken_credentials(self, drafts: Sequence[Draft]) -> dict[str, uuid.UUID]:
        ids = [d.credentials.credentials_id for d in drafts if d.credentials is not None]
        table = schema.device_credentials
        found: dict[str, uuid.UUID] = {}
        async with self._db.read() as conn:
            for chunk in _chunks([i for i in ids if i], _LOOKUP):
                query = sa.select(table.c.credentials_id, table.c.device_id).where(
                    table.c.credentials_id.in_(list(chunk))
                )
                found.update((row[0], row[1]) for row in await conn.execute(query))
        return found

    async def _create_devices(
        self, caller: Caller, drafts: list[Draft], customers: dict[str, uuid.UUID]
    ) -> list[RowResult]:
        if not drafts:
            return []
        assert caller.tenant_id is not None
        tenant_id = caller.tenant_id
        profiles = await self._device_profiles(tenant_id, {d.type for d in drafts})
        keys = await self._keys.ids(
            {entry.key for d in drafts for entries in d.attributes.values() for entry in entries}
        )
        outcomes: list[RowResult] = []
        created: list[tuple[Draft, Device]] = []
        for batch in _chunks(drafts, BATCH):
            rows = [
                device_rows(
                    self._repos,
                    caller,
                    d,
                    profiles[d.type],
                    customers[d.customer] if d.customer else NULL_UUID,
                    keys,
                )
                for d in batch
            ]
            try:
                async with self._db.transaction() as conn:
                    allowed = await self._allowed(conn, tenant_id, len(rows))
                    await insert_rows(conn, rows[:allowed])
                created += [
                    (d, device)
                    for d, (device, _) in zip(batch[:allowed], rows[:allowed], strict=True)
                ]
                if allowed < len(batch):  # the rest is over the tenant's maxDevices
                    message = await self._limit_message(tenant_id)
                    outcomes += [_error(d, message) for d in batch[allowed:]]
            except IntegrityError:
                log.warning("bulk import batch raced another writer; writing it row by row")
                for draft, row in zip(batch, rows, strict=True):
                    try:
                        async with self._db.transaction() as conn:
                            await self._limits.check_create(conn, tenant_id, EntityType.DEVICE)
                            await insert_rows(conn, [row])
                        created.append((draft, row[0]))
                    except IntegrityError:
                        outcomes.append(_error(draft, "Device name or credentials already taken"))
                    except EntitiesLimitExceeded as exc:
                        outcomes.append(_error(draft, exc.message))
        outcomes += [
            RowResult(line=d.line, name=d.name, result=RowOutcome.CREATED) for d, _ in created
        ]
        await self._after_create(caller, created)
        return outcomes

    async def _allowed(self, conn: AsyncConnection, tenant_id: uuid.UUID, wanted: int) -> int:
        """How many of ``wanted`` new devices fit under the tenant's ``maxDevices``."""
        remaining = await self._limits.remaining(conn, tenant_id, EntityType.DEVICE)
        return wanted if remaining is None else min(wanted, remaining)

    async def _limit_message(self, tenant_id: uuid.UUID) -> str:
        limit = (await self._limits.limits(tenant_id)).max_count(EntityType.DEVICE)
        return EntitiesLimitExceeded(EntityType.DEVICE, limit).message

    async def _device_profiles(
        self, tenant_id: uuid.UUID, types: set[str | None]
    ) -> dict[str | None, tuple[uuid.UUID, str]]:
        found: dict[str | None, tuple[uuid.UUID, str]] = {}
        async with self._db.transaction() as conn:
            for name in types:
                profile = (
                    await self._profiles.find_or_create(conn, tenant_id, name)
                    if name
                    else await self._profiles.default(conn, tenant_id)
                )
                assert profile.id is not None
                found[name] = (profile.id, profile.name)
        return found

    async def _after_create(self, caller: Caller, created: list[tuple[Draft, Device]]) -> None:
        metadata = {"userId": str(caller.user_id), "userName": caller.email}
        for chunk in _chunks(created, BATCH):
            await asyncio.gather(
                *(
                    self._publisher.publish(
                        entity_msg(
                            MsgType.ENTITY_CREATED,
                            EntityType.DEVICE,
                            device.id,
                            device.tenant_id,
                            device.to_wire(),
                            customer_id=device.customer_id,
                            metadata=metadata,
                        )
                    )
                    for _, device in chunk
                ),
                *(self._timeseries(device, draft.timeseries) for draft, device in chunk),
            )
        pairs = [(device.tenant_id, device.id) for _, device in created]
        for listener in self._created_listeners:
            listener(pairs)  # type: ignore[arg-type]

    async def _timeseries(self, entity: Device | Asset, entries: list[KvEntry]) -> None:
        if not entries or entity.id is None or entity.tenant_id is None:
            return
        ts = now_ms()
        points = [TsKvEntry(ts, e.key, e.value, e.data_type) for e in entries]
        await self._telemetry.save_timeseries(entity.tenant_id, entity.id, points)

    async def _update_device(
        self, caller: Caller, draft: Draft, device: Device, customers: dict[str, uuid.UUID]
    ) -> RowResult:
        changes: dict[str, Any] = {"additional_info": draft.additional_info(device.additional_info)}
        if draft.label is not None:
            changes["label"] = draft.label
        if draft.type is not None and draft.type != device.type:
            changes.update(type=draft.type, device_profile_id=None)
        return await self._update_row(
            draft,
            device,
            lambda: self._devices.save(caller, device.model_copy(update=changes)),
            customers,
            caller,
        )

    async def _update_row(
        self,
        draft: Draft,
        entity: Device | Asset,
        save: Callable[[], Awaitable[Device | Asset]],
        customers: dict[str, uuid.UUID],
        caller: Caller,
    ) -> RowResult:
        try:
            saved = await save()
            assert saved.id is not None and saved.tenant_id is not None
            if isinstance(saved, Device) and draft.credentials is not None:
                creds = draft.credentials.model_copy(update={"device_id": saved.id})
                await self._devices.update_credentials(caller, creds)
            customer = customers.get(draft.customer) if draft.customer else None
            if customer is not None and customer != saved.customer_id:
                service = self._devices if isinstance(saved, Device) else self._assets
                await service.assign_to_customer(caller, saved.id, customer)
            for scope, entries in draft.attributes.items():
                await self._telemetry.save_attributes(saved.tenant_id, saved.id, scope, entries)
            await self._timeseries(saved, draft.timeseries)
        except EntityError as exc:
            return _error(draft, exc.message)
        return RowResult(line=draft.line, name=draft.name, result=RowOutcome.UPDATED)

    # --- assets --------------------------------------------------------------------------

    async def import_assets(self, caller: Caller, request: BulkImportRequest) -> BulkImportResult:
        """Create (and with ``update``, update) the assets of a CSV, row by row."""
        caller.require(Authority.TENANT_ADMIN)
        drafts, refused = parse_rows(request, devices=False)
        outcomes = list(refused)
        customers = await self._customers(caller.tenant_id, drafts)
        table = schema.asset
        for draft in drafts:
            if draft.customer is not None and draft.customer not in customers:
                outcomes.append(_error(draft, f"Customer {draft.customer!r} is not found"))
                continue
            async with self._db.read() as conn:
                asset = await self._repos.assets.find_one(
                    conn, table.c.tenant_id == caller.tenant_id, table.c.name == draft.name
                )
            if asset is not None and not request.mapping.update:
                outcomes.append(_error(draft, "Asset with such name already exists!"))
                continue
            changes: dict[str, Any] = {
                "additional_info": draft.additional_info(asset.additional_info if asset else None)
            }
            if draft.label is not None:
                changes["label"] = draft.label
            if draft.type is not None:
                changes.update(type=draft.type, asset_profile_id=None)
            target = (asset or Asset(name=draft.name)).model_copy(update=changes)
            row = await self._update_row(
                draft,
                target,
                functools.partial(self._assets.save, caller, target),
                customers,
                caller,
            )
            if asset is None and row.result is RowOutcome.UPDATED:
                row = row.model_copy(update={"result": RowOutcome.CREATED})
            outcomes.append(row)
        return self._result(outcomes)

    @staticmethod
    def _result(outcomes: list[RowResult]) -> BulkImportResult:
        result = BulkImportResult()
        for row in sorted(outcomes, key=lambda r: r.line):
            result.add(row)
        return result
