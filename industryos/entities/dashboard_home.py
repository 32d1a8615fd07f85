"""Home dashboards: the dashboard a user lands on, chosen per user, customer or tenant.

ThingsBoard keeps the choice in ``additionalInfo`` (``homeDashboardId``,
``homeDashboardHideToolbar``) of the user, else the customer (customer users), else the
tenant; a choice the caller may not read (deleted, no longer shared) is skipped as if it
were not set. Tenant admins set the tenant's, customer users their customer's.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.dashboard_model import Dashboard
from industryos.entities.errors import NotFound, PermissionDenied
from industryos.entities.fields import DashboardId, WireModel
from industryos.entities.models import Authority
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

if TYPE_CHECKING:
    from industryos.entities.dashboard_service import DashboardService

__all__ = ["HomeDashboardInfo", "HomeDashboards"]

HOME_ID = "homeDashboardId"
HIDE_TOOLBAR = "homeDashboardHideToolbar"


class HomeDashboardInfo(WireModel):
    """``HomeDashboardInfo``: which dashboard, and whether its toolbar is hidden."""

    dashboard_id: DashboardId | None = None
    hide_dashboard_toolbar: bool = True


def read_info(additional_info: Any) -> HomeDashboardInfo | None:
    """The home dashboard stored in an ``additionalInfo``, if any."""
    if not isinstance(additional_info, dict) or not additional_info.get(HOME_ID):
        return None
    try:
        dashboard_id = uuid.UUID(str(additional_info[HOME_ID]))
    except ValueError:
        return None
    hide = additional_info.get(HIDE_TOOLBAR, True)
    return HomeDashboardInfo(dashboard_id=dashboard_id, hide_dashboard_toolbar=hide is not False)


def write_info(additional_info: Any, info: HomeDashboardInfo) -> dict[str, Any]:
    """``additionalInfo`` with the home dashboard set (or removed when it has no id)."""
    out = dict(additional_info) if isinstance(additional_info, dict) else {}
    if info.dashboard_id is None:
        out.pop(HOME_ID, None)
        out.pop(HIDE_TOOLBAR, None)
    else:
        out[HOME_ID] = str(info.dashboard_id)
        out[HIDE_TOOLBAR] = info.hide_dashboard_toolbar
    return out


class HomeDashboards:
    """Reads and sets home dashboards; reads go through the dashboard service's checks."""

    def __init__(self, db: Database, repos: Repositories, dashboards: DashboardService) -> None:
        self._db = db
        self._repos = repos
        self._dashboards = dashboards

    async def info(self, caller: Caller) -> HomeDashboardInfo | None:
        """The caller's home dashboard: its own, else its customer's, else its tenant's."""
        for found in await self._candidates(caller):
            if found is not None and await self._readable(caller, found):
                return found
        return None

    async def home(self, caller: Caller) -> tuple[Dashboard, bool] | None:
        """The caller's home dashboard with its configuration, and the toolbar flag."""
        found = await self.info(caller)
        if found is None or found.dashboard_id is None:
            return None
        return await self._dashboards.get(caller, found.dashboard_id), found.hide_dashboard_toolbar

    async def tenant_info(self, caller: Caller) -> HomeDashboardInfo | None:
        """The tenant's home dashboard (tenant admins)."""
        caller.require(Authority.TENANT_ADMIN)
        async with self._db.read() as conn:
            tenant = await self._repos.tenants.get(conn, caller.tenant_id)
        return read_info(tenant.additional_info if tenant else None)

    async def customer_info(self, caller: Caller) -> HomeDashboardInfo | None:
        """The caller's customer's home dashboard (customer users)."""
        caller.require(Authority.CUSTOMER_USER)
        async with self._db.read() as conn:
            customer = await self._repos.customers.get(conn, caller.customer_id)
        return read_info(customer.additional_info if customer else None)

    async def set_tenant_info(self, caller: Caller, info: HomeDashboardInfo) -> None:
        """Set (or clear, with no id) the tenant's home dashboard."""
        caller.require(Authority.TENANT_ADMIN)
        await self._check_target(caller, info)
        await self._write(schema.tenant, caller.tenant_id, info)

    async def set_customer_info(self, caller: Caller, info: HomeDashboardInfo) -> None:
        """Set (or clear) the home dashboard of the caller's customer."""
        caller.require(Authority.CUSTOMER_USER)
        await self._check_target(caller, info)
        await self._write(schema.customer, caller.customer_id, info)

    async def _candidates(self, caller: Caller) -> list[HomeDashboardInfo | None]:
        if caller.is_sys_admin:
            return []
        async with self._db.read() as conn:
            user = await self._repos.users.get(conn, caller.user_id)
            customer = (
                await self._repos.customers.get(conn, caller.customer_id)
                if caller.is_customer_user
                else None
            )
            tenant = await self._repos.tenants.get(conn, caller.tenant_id)
        return [
            read_info(row.additional_info) if row is not None else None
            for row in (user, customer, tenant)
        ]

    async def _readable(self, caller: Caller, info: HomeDashboardInfo) -> bool:
        if info.dashboard_id is None:
            return False
        try:
            await self._dashboards.get(caller, info.dashboard_id)
        except (NotFound, PermissionDenied):
            return False
        return True

    async def _check_target(self, caller: Caller, info: HomeDashboardInfo) -> None:
        """Only a dashboard the caller may read can be a home dashboard."""
        if info.dashboard_id is not None:
            await self._dashboards.get(caller, info.dashboard_id)

    async def _write(self, table: sa.Table, row_id: uuid.UUID, info: HomeDashboardInfo) -> None:
        async with self._db.transaction() as conn:
            current = await conn.scalar(
                sa.select(table.c.additional_info).where(table.c.id == row_id)
            )
            await conn.execute(
                sa.update(table)
                .where(table.c.id == row_id)
                .values(additional_info=write_info(current, info))
            )
