"""Tenant profile REST (sysadmin, spec platform-api §3.3)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.models import TenantProfile

router = APIRouter(prefix="/api", tags=["tenant-profile"])

Json = dict[str, Any]


def entity_info(profile: TenantProfile) -> Json:
    """The ``EntityInfo`` shape: id and name."""
    assert profile.id is not None
    return {"id": entity_id_json(EntityType.TENANT_PROFILE, profile.id), "name": profile.name}


@router.get("/tenantProfile/{profile_id}")
async def get_profile(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One profile."""
    return (await context.tenant_profiles.get(caller, profile_id)).to_wire()


@router.post("/tenantProfile")
async def save_profile(profile: TenantProfile, caller: CurrentCaller, context: Context) -> Json:
    """Create or update a profile."""
    return (await context.tenant_profiles.save(caller, profile)).to_wire()


@router.delete("/tenantProfile/{profile_id}")
async def delete_profile(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a profile that is neither the default nor in use."""
    await context.tenant_profiles.delete(caller, profile_id)


@router.post("/tenantProfile/{profile_id}/default")
async def set_default_profile(
    profile_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Make a profile the system default."""
    return (await context.tenant_profiles.set_default(caller, profile_id)).to_wire()


@router.get("/tenantProfileInfo/default")
async def default_profile_info(caller: CurrentCaller, context: Context) -> Json:
    """The default profile, as an info."""
    return entity_info(await context.tenant_profiles.default_of(caller))


@router.get("/tenantProfileInfo/{profile_id}")
async def get_profile_info(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One profile, as an info."""
    return entity_info(await context.tenant_profiles.get(caller, profile_id))


@router.get("/tenantProfiles")
async def profiles(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of tenant profiles."""
    return (await context.tenant_profiles.page(caller, link)).to_wire(TenantProfile.to_wire)


@router.get("/tenantProfileInfos")
async def profile_infos(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of tenant profiles as infos."""
    return (await context.tenant_profiles.page(caller, link)).to_wire(entity_info)
