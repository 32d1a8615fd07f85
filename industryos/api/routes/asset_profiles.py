"""Asset profile REST (spec platform-api §3.3): CRUD, default, lists, infos and names."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.models import AssetProfile

router = APIRouter(prefix="/api", tags=["asset-profile"])

Json = dict[str, Any]


def profile_info(profile: AssetProfile) -> Json:
    """The ``AssetProfileInfo`` shape: what asset forms need to pick a profile."""
    wire = profile.to_wire()
    return {
        "id": wire["id"],
        "tenantId": wire["tenantId"],
        "name": profile.name,
        "image": profile.image,
        "defaultDashboardId": wire["defaultDashboardId"],
    }


def entity_info(profile: AssetProfile) -> Json:
    """The ``EntityInfo`` shape: id and name."""
    assert profile.id is not None
    return {"id": entity_id_json(EntityType.ASSET_PROFILE, profile.id), "name": profile.name}


@router.get("/assetProfile/names")
async def profile_names(
    caller: CurrentCaller,
    context: Context,
    active_only: Annotated[bool, Query(alias="activeOnly")] = False,
) -> list[Json]:
    """Id and name of every profile (``activeOnly``: those some asset uses)."""
    profiles = await context.asset_profiles.names(caller, active_only=active_only)
    return [entity_info(p) for p in profiles]


@router.get("/assetProfile/{profile_id}")
async def get_profile(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One profile."""
    return (await context.asset_profiles.get(caller, profile_id)).to_wire()


@router.post("/assetProfile")
async def save_profile(profile: AssetProfile, caller: CurrentCaller, context: Context) -> Json:
    """Create or update a profile."""
    return (await context.asset_profiles.save(caller, profile)).to_wire()


@router.delete("/assetProfile/{profile_id}")
async def delete_profile(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a profile that is neither the default nor in use."""
    await context.asset_profiles.delete(caller, profile_id)


@router.post("/assetProfile/{profile_id}/default")
async def set_default_profile(
    profile_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Make a profile the tenant's default."""
    return (await context.asset_profiles.set_default(caller, profile_id)).to_wire()


@router.get("/assetProfileInfo/default")
async def default_profile_info(caller: CurrentCaller, context: Context) -> Json:
    """The tenant's default profile, as an info."""
    return profile_info(await context.asset_profiles.default_of(caller))


@router.get("/assetProfileInfo/{profile_id}")
async def get_profile_info(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One profile, as an info."""
    return profile_info(await context.asset_profiles.get(caller, profile_id))


@router.get("/assetProfiles")
async def profiles(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the tenant's profiles."""
    return (await context.asset_profiles.page(caller, link)).to_wire(AssetProfile.to_wire)


@router.get("/assetProfileInfos")
async def profile_infos(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the tenant's profiles as infos."""
    return (await context.asset_profiles.page(caller, link)).to_wire(profile_info)
