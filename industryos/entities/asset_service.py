"""Assets: create/update rules, ownership and the lists the console shows.

The rules mirror the device rules (spec platform-api §2, §3.3): an asset without a profile
gets the tenant default, a ``type`` without a profile finds or creates the profile of that
name, ``type`` always mirrors the profile name and names are unique per tenant. Every change
is audited and announced to the rule engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.asset_profile_service import AssetProfileService
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.events import MsgPublisher, entity_msg
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import ActionType, Asset, AssetInfo, Authority
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.msg import MsgType
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories


class AssetService:
    """Everything the REST API does to assets."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        profiles: AssetProfileService,
        audit: AuditService,
        publisher: MsgPublisher,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._repos = repos
        self._limits = limits or TenantLimitsService(db)
        self._assets = repos.assets
        self._profiles = profiles
        self._audit = audit
        self._publisher = publisher

    async def get(self, caller: Caller, asset_id: uuid.UUID) -> Asset:
        """An asset the caller may see."""
        async with self._db.read() as conn:
            asset = await self._assets.get(conn, asset_id)
        if asset is None:
            raise NotFound()
        caller.check_owner(asset.tenant_id, asset.customer_id)
        return asset

    async def get_info(self, caller: Caller, asset_id: uuid.UUID) -> AssetInfo:
        """An asset with its owner and profile names."""
        return (await self.to_infos([await self.get(caller, asset_id)]))[0]

    async def find_by_name(self, caller: Caller, name: str) -> Asset:
        """The asset of the caller's tenant called ``name``."""
        table = schema.asset
        async with self._db.read() as conn:
            asset = await self._assets.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.name == name
            )
        if asset is None:
            raise NotFound(f"Asset with name [{name}] is not found")
        caller.check_owner(asset.tenant_id, asset.customer_id)
        return asset

    async def save(self, caller: Caller, asset: Asset) -> Asset:
        """Create (no id, tenant admins only) or update an asset."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        if asset.id is None:
            caller.require(Authority.TENANT_ADMIN)
            saved = await self._create(caller, asset)
            action, msg_type = ActionType.ADDED, MsgType.ENTITY_CREATED
        else:
            saved = await self._update(caller, asset)
            action, msg_type = ActionType.UPDATED, MsgType.ENTITY_UPDATED
        await self._announce(caller, saved, action, msg_type)
        return saved

    async def _create(self, caller: Caller, asset: Asset) -> Asset:
        async with self._db.transaction() as conn:
            await self._limits.check_create(conn, caller.tenant_id, EntityType.ASSET)
            await self._check_unique_name(conn, caller.tenant_id, asset.name, None)
            profile_id, profile_name = await self._resolve_profile(conn, caller.tenant_id, asset)
            return await self._assets.insert(
                conn,
                asset.model_copy(
                    update={
                        "tenant_id": caller.tenant_id,
                        "customer_id": NULL_UUID,
                        "asset_profile_id": profile_id,
                        "type": profile_name,
                    }
                ),
            )

    async def _update(self, caller: Caller, asset: Asset) -> Asset:
        assert asset.id is not None
        async with self._db.transaction() as conn:
            stored = await self._assets.get(conn, asset.id)
            if stored is None:
                raise NotFound()
            caller.check_owner(stored.tenant_id, stored.customer_id)
            await self._check_unique_name(conn, stored.tenant_id, asset.name, stored.id)
            profile_id, profile_name = await self._resolve_profile(conn, caller.tenant_id, asset)
            return await self._assets.update(
                conn,
                asset.model_copy(
                    update={
                        "tenant_id": stored.tenant_id,
                        "customer_id": stored.customer_id,
                        "asset_profile_id": profile_id,
                        "type": profile_name,
                    }
                ),
            )

    async def delete(self, caller: Caller, asset_id: uuid.UUID) -> None:
        """Delete an asset with its attributes and relations."""
        caller.require(Authority.TENANT_ADMIN)
        asset = await self.get(caller, asset_id)
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.delete(schema.attribute_kv).where(schema.attribute_kv.c.entity_id == asset_id)
            )
            relation = schema.relation
            await conn.execute(
                sa.delete(relation).where(
                    sa.or_(relation.c.from_id == asset_id, relation.c.to_id == asset_id)
                )
            )
            await self._assets.delete(conn, asset_id)
        await self._announce(caller, asset, ActionType.DELETED, MsgType.ENTITY_DELETED)

    async def assign_to_customer(
        self, caller: Caller, asset_id: uuid.UUID, customer_id: uuid.UUID
    ) -> Asset:
        """Give an asset to a customer of the same tenant."""
        caller.require(Authority.TENANT_ADMIN)
        asset = await self.get(caller, asset_id)
        async with self._db.transaction() as conn:
            customer = await self._repos.customers.get(conn, customer_id)
            if customer is None:
                raise NotFound()
            caller.check_tenant(customer.tenant_id)
            saved = await self._set_customer(conn, asset, customer_id)
        await self._announce(
            caller,
            saved,
            ActionType.ASSIGNED_TO_CUSTOMER,
            MsgType.ENTITY_ASSIGNED,
            extra={"assignedCustomerId": str(customer_id), "assignedCustomerName": customer.title},
        )
        return saved

    async def unassign_from_customer(self, caller: Caller, asset_id: uuid.UUID) -> Asset:
        """Take an asset back from its customer."""
        caller.require(Authority.TENANT_ADMIN)
        asset = await self.get(caller, asset_id)
        if asset.customer_id == NULL_UUID:
            raise InvalidArgument("Asset isn't assigned to any customer!")
        async with self._db.transaction() as conn:
            saved = await self._set_customer(conn, asset, NULL_UUID)
        await self._announce(
            caller,
            saved,
            ActionType.UNASSIGNED_FROM_CUSTOMER,
            MsgType.ENTITY_UNASSIGNED,
            extra={"unassignedCustomerId": str(asset.customer_id)},
        )
        return saved

    async def _set_customer(
        self, conn: AsyncConnection, asset: Asset, customer_id: uuid.UUID
    ) -> Asset:
        return await self._assets.update(
            conn, asset.model_copy(update={"customer_id": customer_id, "version": None})
        )

    async def page(
        self,
        caller: Caller,
        link: PageLink,
        *,
        customer_id: uuid.UUID | None = None,
        asset_type: str | None = None,
        profile_id: uuid.UUID | None = None,
    ) -> PageData[Asset]:
        """Assets of the caller's tenant (or of one of its customers), filtered."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        table = schema.asset
        where: list[sa.ColumnElement[bool]] = [table.c.tenant_id == caller.tenant_id]
        if caller.is_customer_user:
            if customer_id is not None and customer_id != caller.customer_id:
                raise PermissionDenied()
            customer_id = caller.customer_id
        if customer_id is not None:
            where.append(table.c.customer_id == customer_id)
        if asset_type:
            where.append(table.c.type == asset_type)
        if profile_id is not None:
            where.append(table.c.asset_profile_id == profile_id)
        async with self._db.read() as conn:
            if customer_id is not None and caller.is_tenant_admin:
                customer = await self._repos.customers.get(conn, customer_id)
                if customer is None:
                    raise NotFound()
                caller.check_tenant(customer.tenant_id)
            return await self._assets.page(conn, link, *where)

    async def find_by_ids(self, caller: Caller, ids: Sequence[uuid.UUID]) -> list[Asset]:
        """The assets among ``ids`` the caller may see."""
        table = schema.asset
        async with self._db.read() as conn:
            found = await self._assets.find_all(
                conn, table.c.id.in_(list(ids)), table.c.tenant_id == caller.tenant_id
            )
        return [
            a for a in found if not caller.is_customer_user or a.customer_id == caller.customer_id
        ]

    async def types(self, caller: Caller) -> list[str]:
        """Distinct asset types of the caller's tenant."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        table = schema.asset
        query = (
            sa.select(table.c.type)
            .where(table.c.tenant_id == caller.tenant_id)
            .distinct()
            .order_by(table.c.type)
        )
        async with self._db.read() as conn:
            return [row[0] for row in await conn.execute(query)]

    async def to_infos(self, assets: Sequence[Asset]) -> list[AssetInfo]:
        """Add owner and profile names to assets with two queries, not one per asset."""
        customer_ids = {a.customer_id for a in assets if a.customer_id != NULL_UUID}
        profile_ids = {a.asset_profile_id for a in assets}
        customers: dict[uuid.UUID, tuple[str, bool]] = {}
        profiles: dict[uuid.UUID, str] = {}
        async with self._db.read() as conn:
            if customer_ids:
                c = schema.customer
                query = sa.select(c.c.id, c.c.title, c.c.is_public).where(c.c.id.in_(customer_ids))
                customers = {r[0]: (r[1], bool(r[2])) for r in await conn.execute(query)}
            if profile_ids:
                p = schema.asset_profile
                query = sa.select(p.c.id, p.c.name).where(p.c.id.in_(profile_ids))
                profiles = {r[0]: r[1] for r in await conn.execute(query)}
        infos = []
        for asset in assets:
            title, public = customers.get(asset.customer_id, (None, False))
            profile_name = profiles.get(asset.asset_profile_id) if asset.asset_profile_id else None
            infos.append(
                AssetInfo(
                    **asset.model_dump(),
                    customer_title=title,
                    customer_is_public=public,
                    asset_profile_name=profile_name,
                )
            )
        return infos

    async def _resolve_profile(
        self, conn: AsyncConnection, tenant_id: uuid.UUID, asset: Asset
    ) -> tuple[uuid.UUID, str]:
        if asset.asset_profile_id is not None:
            profile = await self._repos.asset_profiles.get(conn, asset.asset_profile_id)
            if profile is None or profile.tenant_id != tenant_id:
                raise InvalidArgument("Asset is referencing non-existing asset profile!")
        elif asset.type:
            profile = await self._profiles.find_or_create(conn, tenant_id, asset.type)
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
        table = schema.asset
        clash = await self._assets.find_one(
            conn, table.c.tenant_id == tenant_id, table.c.name == name
        )
        if clash is not None and clash.id != own_id:
            raise InvalidArgument("Asset with such name already exists!")

    async def _announce(
        self,
        caller: Caller,
        asset: Asset,
        action: ActionType,
        msg_type: MsgType,
        extra: dict[str, str] | None = None,
    ) -> None:
        assert asset.id is not None and asset.tenant_id is not None
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.ASSET,
            entity_id=asset.id,
            entity_name=asset.name,
            customer_id=asset.customer_id,
            data=extra,
        )
        metadata = {"userId": str(caller.user_id), "userName": caller.email, **(extra or {})}
        await self._publisher.publish(
            entity_msg(
                msg_type,
                EntityType.ASSET,
                asset.id,
                asset.tenant_id,
                asset.to_wire(),
                customer_id=asset.customer_id,
                metadata=metadata,
            )
        )
