"""Dashboards: create/update, delete, lists and sharing with customers.

Tenant admins own their tenant's dashboards; a customer user reads (never writes) the
dashboards shared with its customer. Every change is audited and announced to the rule
engine as the other entity services do.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.dashboard_home import HomeDashboards
from industryos.entities.dashboard_model import Dashboard, ShortCustomerInfo
from industryos.entities.dashboard_schema import dashboard as dashboard_table
from industryos.entities.dashboard_schema import dashboard_customer
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.events import MsgPublisher, entity_msg
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType, Authority
from industryos.entities.paging import PageData, PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.msg import MsgType
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories
from industryos.storage.repository import Repository

__all__ = ["DashboardService", "ShareMode"]


class ShareMode(StrEnum):
    """How ``/api/dashboard/{id}/customers[/add|/remove]`` changes the shared set."""

    REPLACE = "replace"
    ADD = "add"
    REMOVE = "remove"


_SHARE_MODES: dict[ShareMode, Callable[[set[uuid.UUID], set[uuid.UUID]], set[uuid.UUID]]] = {
    ShareMode.REPLACE: lambda current, wanted: wanted,
    ShareMode.ADD: lambda current, wanted: current | wanted,
    ShareMode.REMOVE: lambda current, wanted: current - wanted,
}


class DashboardService:
    """Everything the REST API does to dashboards."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        audit: AuditService,
        publisher: MsgPublisher,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self._repos = repos
        self._audit = audit
        self._publisher = publisher
        self._dashboards = Repository(
            dashboard_table, Dashboard, search_columns=("title",), sort_aliases={"name": "title"}
        )
        self.home = HomeDashboards(db, repos, self)
        """Home dashboards of users, customers and tenants."""

    async def get(self, caller: Caller, dashboard_id: uuid.UUID) -> Dashboard:
        """A dashboard the caller may see, with the customers it is shared with."""
        async with self._db.read() as conn:
            found = await self._dashboards.get(conn, dashboard_id)
            if found is None:
                raise NotFound()
            caller.check_tenant(found.tenant_id)
            (loaded,) = await self._with_customers(conn, [found])
        if caller.is_customer_user and not loaded.is_assigned_to(caller.customer_id):
            raise PermissionDenied()
        return loaded

    async def save(self, caller: Caller, dashboard: Dashboard) -> Dashboard:
        """Create (no id) or update a dashboard of the caller's tenant (tenant admins)."""
        caller.require(Authority.TENANT_ADMIN)
        async with self._db.transaction() as conn:
            if dashboard.id is None:
                await self._limits.check_create(conn, caller.tenant_id, EntityType.DASHBOARD)
                saved = await self._dashboards.insert(
                    conn, dashboard.model_copy(update={"tenant_id": caller.tenant_id})
                )
                action, msg_type = ActionType.ADDED, MsgType.ENTITY_CREATED
            else:
                stored = await self._dashboards.get(conn, dashboard.id)
                if stored is None:
                    raise NotFound()
                caller.check_tenant(stored.tenant_id)
                saved = await self._dashboards.update(
                    conn, dashboard.model_copy(update={"tenant_id": stored.tenant_id})
                )
                action, msg_type = ActionType.UPDATED, MsgType.ENTITY_UPDATED
            (saved,) = await self._with_customers(conn, [saved])
        await self._announce(caller, saved, action, msg_type)
        return saved

    async def delete(self, caller: Caller, dashboard_id: uuid.UUID) -> None:
        """Delete a dashboard and its customer links."""
        caller.require(Authority.TENANT_ADMIN)
        found = await self.get(caller, dashboard_id)
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.delete(dashboard_customer).where(
                    dashboard_customer.c.dashboard_id == dashboard_id
                )
            )
            await self._dashboards.delete(conn, dashboard_id)
        await self._announce(caller, found, ActionType.DELETED, MsgType.ENTITY_DELETED)

    async def assign(
        self, caller: Caller, customer_id: uuid.UUID, dashboard_id: uuid.UUID
    ) -> Dashboard:
        """Share a dashboard with a customer of the same tenant."""
        caller.require(Authority.TENANT_ADMIN)
        found = await self.get(caller, dashboard_id)
        async with self._db.transaction() as conn:
            customer = await self._repos.customers.get(conn, customer_id)
            if customer is None:
                raise NotFound()
            caller.check_tenant(customer.tenant_id)
            if found.is_assigned_to(customer_id):
                raise InvalidArgument(
                    f"Dashboard is already assigned to customer [{customer.title}]!"
                )
            await conn.execute(
                sa.insert(dashboard_customer).values(
                    dashboard_id=dashboard_id, customer_id=customer_id
                )
            )
            (saved,) = await self._with_customers(conn, [found])
        await self._announce(
            caller,
            saved,
            ActionType.ASSIGNED_TO_CUSTOMER,
            MsgType.ENTITY_ASSIGNED,
            customer_id=customer_id,
            extra={"assignedCustomerId": str(customer_id), "assignedCustomerName": customer.title},
        )
        return saved

    async def share_public(
        self, caller: Caller, public_customer_id: uuid.UUID, dashboard_id: uuid.UUID
    ) -> Dashboard:
        """Share with the tenant's public customer; sharing twice changes nothing."""
        found = await self.get(caller, dashboard_id)
        if found.is_assigned_to(public_customer_id):
            return found
        return await self.assign(caller, public_customer_id, dashboard_id)

    async def unshare_public(self, caller: Caller, dashboard_id: uuid.UUID) -> Dashboard:
        """Stop sharing with the public customer; a private dashboard stays as it is."""
        caller.require(Authority.TENANT_ADMIN)
        found = await self.get(caller, dashboard_id)
        public = next((c for c in found.assigned_customers if c.is_public), None)
        if public is None:
            return found
        return await self.unassign(caller, public.customer_id, dashboard_id)

    async def unassign(
        self, caller: Caller, customer_id: uuid.UUID, dashboard_id: uuid.UUID
    ) -> Dashboard:
        """Stop sharing a dashboard with a customer."""
        caller.require(Authority.TENANT_ADMIN)
        found = await self.get(caller, dashboard_id)
        if not found.is_assigned_to(customer_id):
            raise InvalidArgument("Dashboard isn't assigned to this customer!")
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.delete(dashboard_customer).where(
                    dashboard_customer.c.dashboard_id == dashboard_id,
                    dashboard_customer.c.customer_id == customer_id,
                )
            )
            (saved,) = await self._with_customers(conn, [found])
        await self._announce(
            caller,
            saved,
            ActionType.UNASSIGNED_FROM_CUSTOMER,
            MsgType.ENTITY_UNASSIGNED,
            customer_id=customer_id,
            extra={"unassignedCustomerId": str(customer_id)},
        )
        return saved

    async def update_customers(
        self,
        caller: Caller,
        dashboard_id: uuid.UUID,
        customer_ids: Sequence[uuid.UUID],
        mode: ShareMode,
    ) -> Dashboard:
        """Replace the set of customers (or add/remove some) in one transaction."""
        caller.require(Authority.TENANT_ADMIN)
        found = await self.get(caller, dashboard_id)
        current = {c.customer_id for c in found.assigned_customers}
        wanted = set(customer_ids)
        target = _SHARE_MODES[mode](current, wanted)
        added, removed = target - current, current - target
        async with self._db.transaction() as conn:
            for customer_id in added:
                customer = await self._repos.customers.get(conn, customer_id)
                if customer is None:
                    raise NotFound()
                caller.check_tenant(customer.tenant_id)
            if removed:
                await conn.execute(
                    sa.delete(dashboard_customer).where(
                        dashboard_customer.c.dashboard_id == dashboard_id,
                        dashboard_customer.c.customer_id.in_(removed),
                    )
                )
            if added:
                await conn.execute(
                    sa.insert(dashboard_customer),
                    [{"dashboard_id": dashboard_id, "customer_id": c} for c in sorted(added)],
                )
            (saved,) = await self._with_customers(conn, [found])
        for customer_id in sorted(added):
            await self._announce(
                caller,
                saved,
                ActionType.ASSIGNED_TO_CUSTOMER,
                MsgType.ENTITY_ASSIGNED,
                customer_id=customer_id,
                extra={"assignedCustomerId": str(customer_id)},
            )
        for customer_id in sorted(removed):
            await self._announce(
                caller,
                saved,
                ActionType.UNASSIGNED_FROM_CUSTOMER,
                MsgType.ENTITY_UNASSIGNED,
                customer_id=customer_id,
                extra={"unassignedCustomerId": str(customer_id)},
            )
        return saved

    async def page(
        self, caller: Caller, link: PageLink, *, customer_id: uuid.UUID | None = None
    ) -> PageData[Dashboard]:
        """Dashboards of the caller's tenant, or those shared with one of its customers."""
        if caller.is_sys_admin:
            raise PermissionDenied()
        if caller.is_customer_user and customer_id != caller.customer_id:
            raise PermissionDenied()
        where: list[sa.ColumnElement[bool]] = [dashboard_table.c.tenant_id == caller.tenant_id]
        async with self._db.read() as conn:
            if customer_id is not None:
                customer = await self._repos.customers.get(conn, customer_id)
                if customer is None:
                    raise NotFound()
                caller.check_tenant(customer.tenant_id)
                shared = sa.select(dashboard_customer.c.dashboard_id).where(
                    dashboard_customer.c.customer_id == customer_id
                )
                where.append(dashboard_table.c.id.in_(shared))
            page = await self._dashboards.page(conn, link, *where)
            loaded = await self._with_customers(conn, page.data)
        return PageData(loaded, page.total_elements, page.page_size, page.page)

    async def _with_customers(
        self, conn: AsyncConnection, dashboards: Sequence[Dashboard]
    ) -> list[Dashboard]:
        """Fill ``assigned_customers`` of every dashboard with one query."""
        ids = [d.id for d in dashboards if d.id is not None]
        shared: dict[uuid.UUID, list[ShortCustomerInfo]] = {i: [] for i in ids}
        if ids:
            c = schema.customer
            query = (
                sa.select(dashboard_customer.c.dashboard_id, c.c.id, c.c.title, c.c.is_public)
                .join(c, c.c.id == dashboard_customer.c.customer_id)
                .where(dashboard_customer.c.dashboard_id.in_(ids))
                .order_by(c.c.title)
            )
            for dashboard_id, cid, title, public in await conn.execute(query):
                shared[dashboard_id].append(
                    ShortCustomerInfo(customer_id=cid, title=title, is_public=bool(public))
                )
        return [
            d.model_copy(update={"assigned_customers": shared.get(d.id, [])}) if d.id else d
            for d in dashboards
        ]

    async def _announce(
        self,
        caller: Caller,
        dashboard: Dashboard,
        action: ActionType,
        msg_type: MsgType,
        *,
        customer_id: uuid.UUID | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        assert dashboard.id is not None and dashboard.tenant_id is not None
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.DASHBOARD,
            entity_id=dashboard.id,
            entity_name=dashboard.title,
            customer_id=customer_id,
            data=extra,
        )
        metadata = {"userId": str(caller.user_id), "userName": caller.email, **(extra or {})}
        await self._publisher.publish(
            entity_msg(
                msg_type,
                EntityType.DASHBOARD,
                dashboard.id,
                dashboard.tenant_id,
                dashboard.to_info_wire(),
                customer_id=customer_id,
                metadata=metadata,
            )
        )
