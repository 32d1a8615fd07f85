"""Dashboard REST (spec platform-api §3.3): CRUD, infos, lists, sharing, public and home.

Lists return pages of ``DashboardInfo`` (no configuration), as ThingsBoard does; the full
configuration is read one dashboard at a time.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body

from industryos.api.context import ApiContext
from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.dashboard_home import HomeDashboardInfo
from industryos.entities.dashboard_model import Dashboard
from industryos.entities.dashboard_service import DashboardService, ShareMode
from industryos.entities.errors import InvalidArgument, NotFound
from industryos.entities.ids import now_ms

router = APIRouter(prefix="/api", tags=["dashboard"])

Json = dict[str, Any]

MAX_DATAPOINTS_LIMIT = 50_000
"""What ``/api/dashboard/maxDatapointsLimit`` reports: the most points one query returns."""


def _service(context: ApiContext) -> DashboardService:
    if context.dashboards is None:
        raise NotFound("Dashboards are not available on this node")
    return context.dashboards


@router.get("/dashboard/serverTime")
async def server_time(caller: CurrentCaller) -> int:
    """The server clock in epoch ms (widgets align their time windows with it)."""
    return now_ms()


@router.get("/dashboard/maxDatapointsLimit")
async def max_datapoints_limit(caller: CurrentCaller) -> int:
    """The most data points a widget may ask for in one query."""
    return MAX_DATAPOINTS_LIMIT


@router.get("/dashboard/home")
async def home_dashboard(caller: CurrentCaller, context: Context) -> Json | None:
    """``HomeDashboard``: the caller's home dashboard with ``hideDashboardToolbar``, or null."""
    found = await _service(context).home.home(caller)
    if found is None:
        return None
    dashboard, hide_toolbar = found
    return {**dashboard.to_wire(), "hideDashboardToolbar": hide_toolbar}


@router.get("/dashboard/home/info")
async def home_dashboard_info(caller: CurrentCaller, context: Context) -> Json | None:
    """``HomeDashboardInfo`` of the caller (own, else customer's, else tenant's), or null."""
    return _info_wire(await _service(context).home.info(caller))


@router.get("/tenant/dashboard/home/info")
async def tenant_home_dashboard_info(caller: CurrentCaller, context: Context) -> Json | None:
    """The tenant's home dashboard (tenant admins), or null."""
    return _info_wire(await _service(context).home.tenant_info(caller))


@router.post("/tenant/dashboard/home/info")
async def set_tenant_home_dashboard_info(
    info: HomeDashboardInfo, caller: CurrentCaller, context: Context
) -> None:
    """Set the tenant's home dashboard; ``dashboardId: null`` clears it."""
    await _service(context).home.set_tenant_info(caller, info)


@router.get("/customer/dashboard/home/info")
async def customer_home_dashboard_info(caller: CurrentCaller, context: Context) -> Json | None:
    """The home dashboard of the caller's customer (customer users), or null."""
    return _info_wire(await _service(context).home.customer_info(caller))


@router.post("/customer/dashboard/home/info")
async def set_customer_home_dashboard_info(
    info: HomeDashboardInfo, caller: CurrentCaller, context: Context
) -> None:
    """Set the home dashboard of the caller's customer; ``dashboardId: null`` clears it."""
    await _service(context).home.set_customer_info(caller, info)


def _info_wire(info: HomeDashboardInfo | None) -> Json | None:
    return None if info is None else info.to_wire()


@router.get("/dashboard/{dashboard_id}")
async def get_dashboard(dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One dashboard with its configuration."""
    return (await _service(context).get(caller, dashboard_id)).to_wire()


@router.get("/dashboard/info/{dashboard_id}")
async def get_dashboard_info(
    dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """One dashboard without its configuration."""
    return (await _service(context).get(caller, dashboard_id)).to_info_wire()


@router.post("/dashboard")
async def save_dashboard(dashboard: Dashboard, caller: CurrentCaller, context: Context) -> Json:
    """Create or update a dashboard."""
    return (await _service(context).save(caller, dashboard)).to_wire()


@router.delete("/dashboard/{dashboard_id}")
async def delete_dashboard(
    dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> None:
    """Delete a dashboard."""
    await _service(context).delete(caller, dashboard_id)


@router.get("/tenant/dashboards")
async def tenant_dashboards(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the tenant's dashboards (infos)."""
    page = await _service(context).page(caller, link)
    return page.to_wire(Dashboard.to_info_wire)


@router.get("/customer/{customer_id}/dashboards")
async def customer_dashboards(
    customer_id: uuid.UUID, caller: CurrentCaller, context: Context, link: Page
) -> Json:
    """A page of the dashboards shared with one customer (infos)."""
    page = await _service(context).page(caller, link, customer_id=customer_id)
    return page.to_wire(Dashboard.to_info_wire)


@router.post("/customer/public/dashboard/{dashboard_id}")
async def make_dashboard_public(
    dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Share a dashboard with the tenant's public customer (created on first use)."""
    service = _service(context)
    await service.get(caller, dashboard_id)  # refuse others' dashboards before creating anything
    public = await context.customers.public_customer(caller)
    assert public.id is not None
    return (await service.share_public(caller, public.id, dashboard_id)).to_wire()


@router.delete("/customer/public/dashboard/{dashboard_id}")
async def make_dashboard_private(
    dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Stop sharing a dashboard with the public customer."""
    return (await _service(context).unshare_public(caller, dashboard_id)).to_wire()


@router.post("/customer/{customer_id}/dashboard/{dashboard_id}")
async def assign_dashboard(
    customer_id: uuid.UUID, dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Share a dashboard with a customer."""
    return (await _service(context).assign(caller, customer_id, dashboard_id)).to_wire()


@router.delete("/customer/{customer_id}/dashboard/{dashboard_id}")
async def unassign_dashboard(
    customer_id: uuid.UUID, dashboard_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Stop sharing a dashboard with a customer."""
    return (await _service(context).unassign(caller, customer_id, dashboard_id)).to_wire()


def _customer_ids(body: Any) -> list[uuid.UUID]:
    if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
        raise InvalidArgument("Body must be a list of customer ids")
    try:
        return [uuid.UUID(item) for item in body]
    except ValueError:
        raise InvalidArgument("Invalid customer id") from None


CustomerIds = Annotated[Any, Body()]


@router.post("/dashboard/{dashboard_id}/customers")
async def set_dashboard_customers(
    dashboard_id: uuid.UUID, body: CustomerIds, caller: CurrentCaller, context: Context
) -> Json:
    """Share a dashboard with exactly these customers."""
    ids = _customer_ids(body)
    return (
        await _service(context).update_customers(caller, dashboard_id, ids, ShareMode.REPLACE)
    ).to_wire()


@router.post("/dashboard/{dashboard_id}/customers/add")
async def add_dashboard_customers(
    dashboard_id: uuid.UUID, body: CustomerIds, caller: CurrentCaller, context: Context
) -> Json:
    """Share a dashboard with these customers too."""
    ids = _customer_ids(body)
    return (
        await _service(context).update_customers(caller, dashboard_id, ids, ShareMode.ADD)
    ).to_wire()


@router.post("/dashboard/{dashboard_id}/customers/remove")
async def remove_dashboard_customers(
    dashboard_id: uuid.UUID, body: CustomerIds, caller: CurrentCaller, context: Context
) -> Json:
    """Stop sharing a dashboard with these customers."""
    ids = _customer_ids(body)
    return (
        await _service(context).update_customers(caller, dashboard_id, ids, ShareMode.REMOVE)
    ).to_wire()
