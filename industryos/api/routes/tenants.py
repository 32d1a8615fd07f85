"""Tenant REST (sysadmin): ``/api/tenant``, ``/api/tenants``, ``/api/tenantInfos``."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.models import Tenant

router = APIRouter(prefix="/api", tags=["tenant"])

Json = dict[str, Any]


@router.get("/tenant/{tenant_id}")
async def get_tenant(tenant_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One tenant."""
    return (await context.tenants.get(caller, tenant_id)).to_wire()


@router.get("/tenant/info/{tenant_id}")
async def get_tenant_info(tenant_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One tenant with its profile name."""
    tenant = await context.tenants.get(caller, tenant_id)
    return {**tenant.to_wire(), "tenantProfileName": await context.tenants.profile_name(tenant)}


@router.post("/tenant")
async def save_tenant(tenant: Tenant, caller: CurrentCaller, context: Context) -> Json:
    """Create (with default profiles) or update a tenant."""
    return (await context.tenants.save(caller, tenant)).to_wire()


@router.delete("/tenant/{tenant_id}")
async def delete_tenant(tenant_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a tenant and everything it owns."""
    await context.tenants.delete(caller, tenant_id)


@router.get("/tenants")
async def tenants(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of tenants."""
    return (await context.tenants.page(caller, link)).to_wire(Tenant.to_wire)


@router.get("/tenantInfos")
async def tenant_infos(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of tenants with profile names."""
    page = await context.tenants.page(caller, link)
    data = [
        {**t.to_wire(), "tenantProfileName": await context.tenants.profile_name(t)}
        for t in page.data
    ]
    return {**page.to_wire(lambda t: t), "data": data}
