"""Device profile REST (spec platform-api §3.3): CRUD, default, lists, infos and names."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from industryos.api.deps import Context, CurrentCaller, Page
from industryos.api.routes.ota import STATE_ATTRIBUTE as OTA_STATE
from industryos.devices.ota.assignment_rules import check_profile
from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.models import DeviceProfile

router = APIRouter(prefix="/api", tags=["device-profile"])

Json = dict[str, Any]


def profile_info(profile: DeviceProfile) -> Json:
    """The ``DeviceProfileInfo`` shape: what device forms need to pick a profile."""
    assert profile.id is not None
    wire = profile.to_wire()
    return {
        "id": wire["id"],
        "tenantId": wire["tenantId"],
        "name": profile.name,
        "image": profile.image,
        "defaultDashboardId": wire["defaultDashboardId"],
        "type": profile.type,
        "transportType": profile.transport_type,
    }


def entity_info(profile: DeviceProfile) -> Json:
    """The ``EntityInfo`` shape: id and name."""
    assert profile.id is not None
    return {"id": entity_id_json(EntityType.DEVICE_PROFILE, profile.id), "name": profile.name}


@router.get("/deviceProfile/names")
async def profile_names(
    caller: CurrentCaller,
    context: Context,
    active_only: Annotated[bool, Query(alias="activeOnly")] = False,
) -> list[Json]:
    """Id and name of every profile (``activeOnly``: those some device uses)."""
    profiles = await context.device_profiles.names(caller, active_only=active_only)
    return [entity_info(p) for p in profiles]


@router.get("/deviceProfile/{profile_id}")
async def get_profile(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One profile."""
    return (await context.device_profiles.get(caller, profile_id)).to_wire()


@router.post("/deviceProfile")
async def save_profile(
    profile: DeviceProfile, caller: CurrentCaller, context: Context, request: Request
) -> Json:
    """Create or update a profile (its firmwareId/softwareId must be its own packages)."""
    ota = getattr(request.app.state, OTA_STATE, None)
    packages = ota.packages if ota is not None else None
    await check_profile(packages, context.device_profiles, caller, profile)
    return (await context.device_profiles.save(caller, profile)).to_wire()


@router.delete("/deviceProfile/{profile_id}")
async def delete_profile(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a profile that is neither the default nor in use."""
    await context.device_profiles.delete(caller, profile_id)


@router.post("/deviceProfile/{profile_id}/default")
async def set_default_profile(
    profile_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Make a profile the tenant's default."""
    return (await context.device_profiles.set_default(caller, profile_id)).to_wire()


@router.get("/deviceProfileInfo/default")
async def default_profile_info(caller: CurrentCaller, context: Context) -> Json:
    """The tenant's default profile, as an info."""
    return profile_info(await context.device_profiles.default_of(caller))


@router.get("/deviceProfileInfo/{profile_id}")
async def get_profile_info(profile_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One profile, as an info."""
    return profile_info(await context.device_profiles.get(caller, profile_id))


@router.get("/deviceProfiles")
async def profiles(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the tenant's profiles."""
    return (await context.device_profiles.page(caller, link)).to_wire(DeviceProfile.to_wire)


@router.get("/deviceProfileInfos")
async def profile_infos(
    caller: CurrentCaller,
    context: Context,
    link: Page,
    transport_type: Annotated[str | None, Query(alias="transportType")] = None,
) -> Json:
    """A page of the tenant's profiles as infos, optionally of one transport type."""
    page = await context.device_profiles.page(caller, link, transport_type=transport_type)
    return page.to_wire(profile_info)
