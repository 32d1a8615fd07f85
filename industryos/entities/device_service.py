"""Devices: create/update rules, credentials, ownership and the lists the console shows.

The rules are the contract's (spec platform-api §2.2, §3.2): a device without a profile gets
the tenant default, a ``type`` without a profile finds or creates the profile of that name,
``type`` always mirrors the profile name, a new device gets a 20-character access token.
Every change is audited and announced to the rule engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.credentials import normalize
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.events import MsgPublisher, entity_msg
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import (
    ActionType,
    Authority,
    CredentialsType,
    Device,
    DeviceCredentials,
    DeviceInfo,
)
from industryos.entities.models.device import default_device_data
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.msg import MsgType
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.in_lists import in_lists
from industryos.storage.repositories import Repositories

CredentialsListener = Callable[[DeviceCredentials], None]
DeviceListener = Callable[[Device, Device | None], None]
CreatedListener = Callable[[Device], None]


class DeviceService:
    """Everything the REST API and the transports do to devices."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        profiles: DeviceProfileService,
        audit: AuditService,
        publisher: MsgPublisher,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._repos = repos
        self._limits = limits or TenantLimitsService(db)
        self._devices = repos.devices
        self._credentials = repos.device_credentials
        self._profiles = profiles
        self._audit = audit
        self._publisher = publisher
        self._credentials_listeners: list[CredentialsListener] = []
        self._device_listeners: list[DeviceListener] = []
        self._created_listeners: list[CreatedListener] = []

    def on_credentials_changed(self, listener: CredentialsListener) -> None:
        """Call ``listener`` whenever a device's credentials change (cache invalidation)."""
        self._credentials_listeners.append(listener)

    def on_device_changed(self, listener: DeviceListener) -> None:
        """Call ``listener(before, after)`` when a device changes; ``after`` is None on delete.

        Caches of device identity (transports) and gateways' child names listen here.
        """
        self._device_listeners.append(listener)

    def on_device_created(self, listener: CreatedListener) -> None:
        """Call ``listener(device)`` after a device is created through :meth:`save`.

        Whatever path created it (REST, provisioning, a gateway, first-start data): OTA
        gives a new device its profile's packages here.
        """
        self._created_listeners.append(listener)

    async def get(self, caller: Caller, device_id: uuid.UUID) -> Device:
        """A device the caller may see."""
        async with self._db.read() as conn:
            device = await self._devices.get(conn, device_id)
        if device is None:
            raise NotFound()
        caller.check_owner(device.tenant_id, device.customer_id)
        return device

    async def get_info(self, caller: Caller, device_id: uuid.UUID) -> DeviceInfo:
        """A device with its owner and profile names."""
        device = await self.get(caller, device_id)
        return (await self.to_infos([device]))[0]

    async def find_by_name(self, caller: Caller, name: str) -> Device:
        """The device of the caller's tenant called ``name``."""
        table = schema.device
        async with self._db.read() as conn:
            device = await self._devices.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.name == name
            )
        if device is None:
            raise NotFound(f"Device with name [{name}] is not found")
        caller.check_owner(device.tenant_id, device.customer_id)
        return device

    async def save(
        self,
        caller: Caller,
        device: Device,
        *,
        access_token: str | None = None,
        credentials: DeviceCredentials | None = None,
    ) -> Device:
        """Create (no id) or update a device; a new device gets credentials."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        if device.id is None:
            caller.require(Authority.TENANT_ADMIN)
            saved = await self._create(caller, device, access_token, credentials)
            action, msg_type = ActionType.ADDED, MsgType.ENTITY_CREATED
            for listener in self._created_listeners:
                listener(saved)
        else:
            saved = await self._update(caller, device)
            action, msg_type = ActionType.UPDATED, MsgType.ENTITY_UPDATED
        await self._announce(caller, saved, action, msg_type)
        return saved

    async def _create(
        self,
        caller: Caller,
        device: Device,
        access_token: str | None,
        credentials: DeviceCredentials | None,
    ) -> Device:
        async with self._db.transaction() as conn:
            await self._limits.check_create(conn, caller.tenant_id, EntityType.DEVICE)
            await self._check_unique_name(conn, caller.tenant_id, device.name, None)
            profile_id, profile_name = await self._resolve_profile(conn, caller.tenant_id, device)
            saved = await self._devices.insert(
                conn,
                device.model_copy(
                    update={
                        "tenant_id": caller.tenant_id,
                        "customer_id": NULL_UUID,
                        "device_profile_id": profile_id,
                        "type": profile_name,
                        "device_data": device.device_data or default_device_data(),
                    }
                ),
            )
            creds = credentials or DeviceCredentials(
                credentials_type=CredentialsType.ACCESS_TOKEN, credentials_id=access_token
            )
            await self._store_credentials(conn, saved, creds, existing=None)
        return saved

    async def _update(self, caller: Caller, device: Device) -> Device:
        async with self._db.transaction() as conn:
            stored = await self._devices.get(conn, device.id)  # type: ignore[arg-type]
            if stored is None:
                raise NotFound()
            caller.check_owner(stored.tenant_id, stored.customer_id)
            await self._check_unique_name(conn, stored.tenant_id, device.name, stored.id)
            profile_id, profile_name = await self._resolve_profile(conn, caller.tenant_id, device)
            saved = await self._devices.update(
                conn,
                device.model_copy(
                    update={
                        "tenant_id": stored.tenant_id,
                        "customer_id": stored.customer_id,
                        "device_profile_id": profile_id,
                        "type": profile_name,
                        "device_data": device.device_data or stored.device_data,
                    }
                ),
            )
        self._notify_device(stored, saved)
        return saved

    async def delete(self, caller: Caller, device_id: uuid.UUID) -> None:
        """Delete a device with its credentials, attributes and relations."""
        caller.require(Authority.TENANT_ADMIN)
        device = await self.get(caller, device_id)
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.delete(schema.attribute_kv).where(schema.attribute_kv.c.entity_id == device_id)
            )
            await conn.execute(
                sa.delete(schema.relation).where(
                    sa.or_(
                        schema.relation.c.from_id == device_id, schema.relation.c.to_id == device_id
                    )
                )
            )
            creds = await self._credentials.find_one(
                conn, schema.device_credentials.c.device_id == device_id
            )
            await self._devices.delete(conn, device_id)
        if creds is not None:
            self._notify_credentials(creds)
        self._notify_device(device, None)
        await self._announce(caller, device, ActionType.DELETED, MsgType.ENTITY_DELETED)

    async def assign_to_customer(
        self, caller: Caller, device_id: uuid.UUID, customer_id: uuid.UUID
    ) -> Device:
        """Give a device to a customer of the same tenant."""
        caller.require(Authority.TENANT_ADMIN)
        device = await self.get(caller, device_id)
        async with self._db.transaction() as conn:
            customer = await self._repos.customers.get(conn, customer_id)
            if customer is None:
                raise NotFound()
            caller.check_tenant(customer.tenant_id)
            saved = await self._set_customer(conn, device, customer_id)
        await self._announce(
            caller,
            saved,
            ActionType.ASSIGNED_TO_CUSTOMER,
            MsgType.ENTITY_ASSIGNED,
            extra={"assignedCustomerId": str(customer_id), "assignedCustomerName": customer.title},
        )
        return saved

    async def unassign_from_customer(self, caller: Caller, device_id: uuid.UUID) -> Device:
        """Take a device back from its customer."""
        caller.require(Authority.TENANT_ADMIN)
        device = await self.get(caller, device_id)
        if device.customer_id == NULL_UUID:
            raise InvalidArgument("Device isn't assigned to any customer!")
        async with self._db.transaction() as conn:
            saved = await self._set_customer(conn, device, NULL_UUID)
        await self._announce(
            caller,
            saved,
            ActionType.UNASSIGNED_FROM_CUSTOMER,
            MsgType.ENTITY_UNASSIGNED,
            extra={"unassignedCustomerId": str(device.customer_id)},
        )
        return saved

    async def _set_customer(
        self, conn: AsyncConnection, device: Device, customer_id: uuid.UUID
    ) -> Device:
        saved = await self._devices.update(
            conn, device.model_copy(update={"customer_id": customer_id, "version": None})
        )
        self._notify_device(device, saved)
        return saved

    async def get_credentials(self, caller: Caller, device_id: uuid.UUID) -> DeviceCredentials:
        """The device's credentials (the read is audited)."""
        device = await self.get(caller, device_id)
        async with self._db.read() as conn:
            creds = await self._credentials.find_one(
                conn, schema.device_credentials.c.device_id == device_id
            )
        if creds is None:
            raise NotFound()
        await self._audit.record(
            caller,
            ActionType.CREDENTIALS_READ,
            entity_type=EntityType.DEVICE,
            entity_id=device_id,
            entity_name=device.name,
            customer_id=device.customer_id,
        )
        return creds

    async def update_credentials(
        self, caller: Caller, credentials: DeviceCredentials
    ) -> DeviceCredentials:
        """Replace a device's credentials; caches keyed by the old ones are told."""
        caller.require(Authority.TENANT_ADMIN)
        if credentials.device_id is None:
            raise InvalidArgument("Device credentials should be assigned to device!")
        device = await self.get(caller, credentials.device_id)
        async with self._db.transaction() as conn:
            existing = await self._credentials.find_one(
                conn, schema.device_credentials.c.device_id == device.id
            )
            saved = await self._store_credentials(conn, device, credentials, existing=existing)
        if existing is not None:
            self._notify_credentials(existing)
        await self._audit.record(
            caller,
            ActionType.CREDENTIALS_UPDATED,
            entity_type=EntityType.DEVICE,
            entity_id=device.id,
            entity_name=device.name,
            customer_id=device.customer_id,
        )
        return saved

    async def find_by_credentials(
        self, credentials_ids: Sequence[str]
    ) -> dict[str, tuple[DeviceCredentials, Device]]:
        """Credentials and their devices by lookup id, for many ids at once (the transports'
        authentication query: a fleet reconnects together). Unknown ids are left out."""
        c, d = schema.device_credentials.c, schema.device.c
        found: dict[str, tuple[DeviceCredentials, Device]] = {}
        async with self._db.read() as conn:
            for ids in in_lists(sorted(set(credentials_ids))):
                credentials = await self._credentials.find_all(conn, c.credentials_id.in_(ids))
                device_ids = sorted({x.device_id for x in credentials if x.device_id is not None})
                if not device_ids:
                    continue
                devices = {
                    device.id: device
                    for device in await self._devices.find_all(conn, d.id.in_(device_ids))
                }
                for found_credentials in credentials:
                    device = devices.get(found_credentials.device_id)
                    if device is not None and found_credentials.credentials_id is not None:
                        found[found_credentials.credentials_id] = (found_credentials, device)
        return found

    async def page(
        self,
        caller: Caller,
        link: PageLink,
        *,
        customer_id: uuid.UUID | None = None,
        device_type: str | None = None,
        profile_id: uuid.UUID | None = None,
    ) -> PageData[Device]:
        """Devices of the caller's tenant (or of one of its customers), filtered."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        table = schema.device
        where: list[sa.ColumnElement[bool]] = [table.c.tenant_id == caller.tenant_id]
        if caller.is_customer_user:
            if customer_id is not None and customer_id != caller.customer_id:
                raise PermissionDenied()
            customer_id = caller.customer_id
        elif customer_id is not None:
            await self._check_customer_of_tenant(caller, customer_id)
        if customer_id is not None:
            where.append(table.c.customer_id == customer_id)
        if device_type:
            where.append(table.c.type == device_type)
        if profile_id is not None:
            where.append(table.c.device_profile_id == profile_id)
        async with self._db.read() as conn:
            return await self._devices.page(conn, link, *where)

    async def _check_customer_of_tenant(self, caller: Caller, customer_id: uuid.UUID) -> None:
        """A customer id in a path must name a customer of the caller's tenant."""
        async with self._db.read() as conn:
            customer = await self._repos.customers.get(conn, customer_id)
        if customer is None:
            raise NotFound()
        caller.check_tenant(customer.tenant_id)

    async def find_by_ids(self, caller: Caller, ids: Sequence[uuid.UUID]) -> list[Device]:
        """The devices among ``ids`` the caller may see."""
        table = schema.device
        async with self._db.read() as conn:
            found = await self._devices.find_all(
                conn, table.c.id.in_(list(ids)), table.c.tenant_id == caller.tenant_id
            )
        return [
            d for d in found if not caller.is_customer_user or d.customer_id == caller.customer_id
        ]

    async def types(self, caller: Caller) -> list[str]:
        """Distinct device types of the caller's tenant."""
        table = schema.device
        query = (
            sa.select(table.c.type)
            .where(table.c.tenant_id == caller.tenant_id)
            .distinct()
            .order_by(table.c.type)
        )
        async with self._db.read() as conn:
            return [row[0] for row in await conn.execute(query)]

    async def to_infos(self, devices: Sequence[Device]) -> list[DeviceInfo]:
        """Add owner and profile names and the activity flag with a query each, not per device."""
        customer_ids = {d.customer_id for d in devices if d.customer_id != NULL_UUID}
        profile_ids = {d.device_profile_id for d in devices}
        customers: dict[uuid.UUID, tuple[str, bool]] = {}
        profiles: dict[uuid.UUID, str] = {}
        async with self._db.read() as conn:
            if customer_ids:
                c = schema.customer
                query = sa.select(c.c.id, c.c.title, c.c.is_public).where(c.c.id.in_(customer_ids))
                customers = {r[0]: (r[1], bool(r[2])) for r in await conn.execute(query)}
            if profile_ids:
                p = schema.device_profile
                query = sa.select(p.c.id, p.c.name).where(p.c.id.in_(profile_ids))
                profiles = {r[0]: r[1] for r in await conn.execute(query)}
            active = await self._active_flags(conn, [d.id for d in devices if d.id is not None])
        infos = []
        for device in devices:
            title, public = customers.get(device.customer_id, (None, False))
            infos.append(
                DeviceInfo(
                    **device.model_dump(),
                    customer_title=title,
                    customer_is_public=public,
                    device_profile_name=profiles.get(device.device_profile_id),  # type: ignore[arg-type]
                    active=active.get(device.id, False),  # type: ignore[arg-type]
                )
            )
        return infos

    @staticmethod
    async def _active_flags(
        conn: AsyncConnection, device_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, bool]:
        """The ``active`` server attribute the device-state tracker keeps (spec §8)."""
        if not device_ids:
            return {}
        attrs, keys = schema.attribute_kv, schema.key_dictionary
        query = (
            sa.select(attrs.c.entity_id, attrs.c.bool_v)
            .join(keys, keys.c.key_id == attrs.c.attribute_key)
            .where(
                attrs.c.entity_id.in_(device_ids),
                attrs.c.attribute_type == "SERVER_SCOPE",
                keys.c.key == "active",
            )
        )
        return {row[0]: bool(row[1]) for row in await conn.execute(query)}

    async def _resolve_profile(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, device: Device
    ) -> tuple[uuid.UUID, str]:
        if device.device_profile_id is not None:
            profile = await self._repos.device_profiles.get(conn, device.device_profile_id)
            if profile is None or profile.tenant_id != tenant_id:
                raise InvalidArgument("Device is referencing non-existing device profile!")
        elif device.type:
            profile = await self._profiles.find_or_create(conn, tenant_id, device.type)
        else:
            profile = await self._profiles.default(conn, tenant_id)
        assert profile.id is not None
        return profile.id, profile.name

    async def _check_unique_name(
        self,
        conn: AsyncConnection,
        tenant_id: uuid.UUID | None,
        name: str,
        own_id: uuid.UUID | None,
    ) -> None:
        table = schema.device
        clash = await self._devices.find_one(
            conn, table.c.tenant_id == tenant_id, table.c.name == name
        )
        if clash is not None and clash.id != own_id:
            raise InvalidArgument("Device with such name already exists!")

    async def _store_credentials(
        self,
        conn: AsyncConnection,
        device: Device,
        credentials: DeviceCredentials,
        existing: DeviceCredentials | None,
    ) -> DeviceCredentials:
        creds = normalize(credentials.model_copy(update={"device_id": device.id}))
        clash = await self._credentials.find_one(
            conn, schema.device_credentials.c.credentials_id == creds.credentials_id
        )
        if clash is not None and clash.device_id != device.id:
            raise InvalidArgument("Device credentials are already assigned to another device!")
        if existing is None:
            return await self._credentials.insert(conn, creds)
        return await self._credentials.update(
            conn,
            creds.model_copy(update={"id": existing.id, "created_time": existing.created_time}),
        )

    def _notify_device(self, before: Device, after: Device | None) -> None:
        for listener in self._device_listeners:
            listener(before, after)

    def _notify_credentials(self, credentials: DeviceCredentials) -> None:
        for listener in self._credentials_listeners:
            listener(credentials)

    async def _announce(
        self,
        caller: Caller,
        device: Device,
        action: ActionType,
        msg_type: MsgType,
        extra: dict[str, str] | None = None,
    ) -> None:
        assert device.id is not None and device.tenant_id is not None
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.DEVICE,
            entity_id=device.id,
            entity_name=device.name,
            customer_id=device.customer_id,
            data=extra,
        )
        metadata = {"userId": str(caller.user_id), "userName": caller.email, **(extra or {})}
        await self._publisher.publish(
            entity_msg(
                msg_type,
                EntityType.DEVICE,
                device.id,
                device.tenant_id,
                device.to_wire(),
                customer_id=device.customer_id,
                metadata=metadata,
            )
        )
