"""Customers of a tenant: CRUD, and what happens to their devices and users on delete."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import ActionType, Authority, Customer
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

PUBLIC_TITLE = "Public"
"""Title of the customer that public dashboards and entities are assigned to."""


class CustomerService:
    """Reads and writes customers inside the caller's tenant."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        audit: AuditService,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self._customers = repos.customers
        self._audit = audit

    async def get(self, caller: Caller, customer_id: uuid.UUID) -> Customer:
        """A customer the caller may see (customer users: only their own)."""
        async with self._db.read() as conn:
            customer = await self._customers.get(conn, customer_id)
        if customer is None:
            raise NotFound()
        caller.check_tenant(customer.tenant_id)
        if caller.is_customer_user and customer.id != caller.customer_id:
            raise PermissionDenied()
        return customer

    async def find_by_title(self, caller: Caller, title: str) -> Customer:
        """The tenant's customer with ``title``."""
        table = schema.customer
        async with self._db.read() as conn:
            customer = await self._customers.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.title == title
            )
        if customer is None:
            raise NotFound()
        return customer

    async def public_customer(self, caller: Caller) -> Customer:
        """The tenant's "Public" customer, created on first use (spec platform-api §2)."""
        caller.require(Authority.TENANT_ADMIN)
        table = schema.customer
        async with self._db.transaction() as conn:
            found = await self._customers.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.is_public.is_(True)
            )
            if found is not None:
                return found
            await self._limits.check_create(conn, caller.tenant_id, EntityType.CUSTOMER)
            created = await self._customers.insert(
                conn,
                Customer(
                    tenant_id=caller.tenant_id,
                    title=PUBLIC_TITLE,
                    additional_info={"isPublic": True},
                ),
            )
            # is_public is no wire field, so the repository's row leaves it out.
            await conn.execute(
                sa.update(table).where(table.c.id == created.id).values(is_public=True)
            )
            return created.model_copy(update={"is_public": True})

    async def find_public(self, public_id: uuid.UUID) -> Customer | None:
        """The public customer behind a public id (public login); None for any other id."""
        async with self._db.read() as conn:
            customer = await self._customers.get(conn, public_id)
        return customer if customer is not None and customer.is_public else None

    async def save(self, caller: Caller, customer: Customer) -> Customer:
        """Create or update a customer of the caller's tenant; titles are unique."""
        caller.require(Authority.TENANT_ADMIN)
        table = schema.customer
        async with self._db.transaction() as conn:
            clash = await self._customers.find_one(
                conn, table.c.tenant_id == caller.tenant_id, table.c.title == customer.title
            )
            if clash is not None and clash.id != customer.id:
                raise InvalidArgument("Customer with such title already exists!")
            if customer.id is None:
                await self._limits.check_create(conn, caller.tenant_id, EntityType.CUSTOMER)
                saved = await self._customers.insert(
                    conn, customer.model_copy(update={"tenant_id": caller.tenant_id})
                )
                action = ActionType.ADDED
            else:
                stored = await self._customers.get(conn, customer.id)
                if stored is None:
                    raise NotFound()
                caller.check_tenant(stored.tenant_id)
                saved = await self._customers.update(
                    conn,
                    customer.model_copy(
                        update={"tenant_id": stored.tenant_id, "is_public": stored.is_public}
                    ),
                )
                action = ActionType.UPDATED
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.CUSTOMER,
            entity_id=saved.id,
            entity_name=saved.title,
            customer_id=saved.id,
        )
        return saved

    async def delete(self, caller: Caller, customer_id: uuid.UUID) -> None:
        """Delete a customer: its devices and assets return to the tenant, its users go."""
        caller.require(Authority.TENANT_ADMIN)
        customer = await self.get(caller, customer_id)
        async with self._db.transaction() as conn:
            for table in (schema.device, schema.asset):
                await conn.execute(
                    sa.update(table)
                    .where(table.c.customer_id == customer_id)
                    .values(customer_id=NULL_UUID, version=table.c.version + 1)
                )
            user_ids = sa.select(schema.user.c.id).where(schema.user.c.customer_id == customer_id)
            await conn.execute(
                sa.delete(schema.user_credentials).where(
                    schema.user_credentials.c.user_id.in_(user_ids)
                )
            )
            await conn.execute(
                sa.delete(schema.user).where(schema.user.c.customer_id == customer_id)
            )
            await self._customers.delete(conn, customer_id)
        await self._audit.record(
            caller,
            ActionType.DELETED,
            entity_type=EntityType.CUSTOMER,
            entity_id=customer_id,
            entity_name=customer.title,
            customer_id=customer_id,
        )

    async def page(self, caller: Caller, link: PageLink) -> PageData[Customer]:
        """The tenant's customers."""
        caller.require(Authority.TENANT_ADMIN)
        async with self._db.read() as conn:
            return await self._customers.page(
                conn, link, schema.customer.c.tenant_id == caller.tenant_id
            )

    async def find_by_ids(self, caller: Caller, ids: Sequence[uuid.UUID]) -> list[Customer]:
        """The listed customers of the caller's tenant (customer users: only their own)."""
        table = schema.customer
        async with self._db.read() as conn:
            found = await self._customers.find_all(
                conn, table.c.id.in_(list(ids)), table.c.tenant_id == caller.tenant_id
            )
        return [c for c in found if not caller.is_customer_user or c.id == caller.customer_id]
