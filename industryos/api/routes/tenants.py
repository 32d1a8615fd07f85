"""Tenant REST: ``/api/tenant``, ``/api/tenants``, ``/api/tenantInfos``.

Permissions are ThingsBoard's ``TenantController``'s: the system administrator manages
tenants; a tenant administrator may read its own tenant (``GET /api/tenant/{id}`` and
``/api/tenant/info/{id}``) and nothing more. Saving stays the sysadmin's, since a tenant
save also chooses the tenant profile, and with it the tenant's own limits. Customer users
may not read the tenant at all.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from industryos.api.context import ApiContext
from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.access import Caller
from industryos.entities.models import Authority, Tenant

router = APIRouter(prefix="/api", tags=["tenant"])

Json = dict[str, Any]


async def _readable(caller: Caller, context: ApiContext, tenant_id: uuid.UUID) -> Tenant:
    """The tenant, for its sysadmin or its own tenant administrators."""
    caller.require(Authority.SYS_ADMIN, Authority.TENANT_ADMIN)
    return await context.tenants.get(caller, tenant_id)


@router.get("/tenant/{tenant_id}")
async def get_tenant(tenant_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One tenant."""
    return (await _readable(caller, context, tenant_id)).to_wire()


@router.get("/tenant/info/{tenant_id}")
async def get_tenant_info(tenant_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One tenant with its profile name."""
    tenant = await _readable(caller, context, tenant_id)
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
