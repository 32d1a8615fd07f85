"""Device REST (spec platform-api §3.2): CRUD, credentials, lists and customer assignment."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from industryos.api.deps import Context, CurrentCaller, Page, page_link
from industryos.api.routes.ota import STATE_ATTRIBUTE as OTA_STATE
from industryos.devices.ota.assignment_rules import check_device
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType
from industryos.entities.models import Device, DeviceCredentials

router = APIRouter(prefix="/api", tags=["device"])

Json = dict[str, Any]


class DeviceWithCredentials(BaseModel):
    """Body of ``/api/device-with-credentials``."""

    device: Device
    credentials: DeviceCredentials | None = None


async def _check_packages(
    request: Request, caller: CurrentCaller, context: Context, device: Device
) -> None:
    """400 for a firmwareId/softwareId the device may not have (another tenant's too)."""
    ota = getattr(request.app.state, OTA_STATE, None)
    packages = ota.packages if ota is not None else None
    await check_device(packages, context.devices, context.device_profiles, caller, device)


@router.get("/device/types")
async def device_types(caller: CurrentCaller, context: Context) -> list[Json]:
    """Distinct device types of the tenant."""
    types = await context.devices.types(caller)
    return [
        {
            "tenantId": {"entityType": "TENANT", "id": str(caller.tenant_id)},
            "entityType": EntityType.DEVICE.value,
            "type": t,
        }
        for t in types
    ]


@router.get("/device/{device_id}")
async def get_device(device_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One device."""
    return (await context.devices.get(caller, device_id)).to_wire()


@router.get("/device/info/{device_id}")
async def get_device_info(device_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One device with owner and profile names."""
    return (await context.devices.get_info(caller, device_id)).to_wire()


@router.post("/device")
async def save_device(
    device: Device,
    caller: CurrentCaller,
    context: Context,
    request: Request,
    access_token: Annotated[str | None, Query(alias="accessToken")] = None,
) -> Json:
    """Create or update a device (``accessToken`` sets the new device's token)."""
    await _check_packages(request, caller, context, device)
    return (await context.devices.save(caller, device, access_token=access_token)).to_wire()


@router.post("/device-with-credentials")
async def save_device_with_credentials(
    body: DeviceWithCredentials, caller: CurrentCaller, context: Context, request: Request
) -> Json:
    """Create a device with the given credentials."""
    await _check_packages(request, caller, context, body.device)
    if body.device.id is not None:
        saved = await context.devices.save(caller, body.device)
        if body.credentials is not None:
            creds = body.credentials.model_copy(update={"device_id": saved.id})
            await context.devices.update_credentials(caller, creds)
        return saved.to_wire()
    return (await context.devices.save(caller, body.device, credentials=body.credentials)).to_wire()


@router.delete("/device/{device_id}")
async def delete_device(device_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a device."""
    await context.devices.delete(caller, device_id)


@router.get("/device/{device_id}/credentials")
async def get_credentials(device_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """The device's credentials."""
    return (await context.devices.get_credentials(caller, device_id)).to_wire()


@router.post("/device/credentials")
async def update_credentials(
    credentials: DeviceCredentials, caller: CurrentCaller, context: Context
) -> Json:
    """Replace the device's credentials."""
    return (await context.devices.update_credentials(caller, credentials)).to_wire()


@router.get("/tenant/devices")
async def tenant_devices(
    caller: CurrentCaller,
    context: Context,
    page_size: Annotated[int | None, Query(alias="pageSize", ge=1)] = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    device_type: Annotated[str | None, Query(alias="type")] = None,
    device_name: Annotated[str | None, Query(alias="deviceName")] = None,
    text_search: Annotated[str | None, Query(alias="textSearch")] = None,
    sort_property: Annotated[str | None, Query(alias="sortProperty")] = None,
    sort_order: Annotated[str | None, Query(alias="sortOrder")] = None,
) -> Json:
    """A page of the tenant's devices (legacy form: ``?deviceName=`` returns one device)."""
    if device_name is not None:
        return (await context.devices.find_by_name(caller, device_name)).to_wire()
    if page_size is None or page is None:
        raise InvalidArgument("Required request parameter 'pageSize' and 'page' are missing")

    link = page_link(context, page_size, page, text_search, sort_property, sort_order)
    result = await context.devices.page(caller, link, device_type=device_type)
    return result.to_wire(Device.to_wire)


@router.get("/tenant/device")
async def tenant_device_by_name(
    caller: CurrentCaller,
    context: Context,
    device_name: Annotated[str, Query(alias="deviceName")],
) -> Json:
    """The tenant's device with this name."""
    return (await context.devices.find_by_name(caller, device_name)).to_wire()


@router.get("/tenant/deviceInfos")
async def tenant_device_infos(
    caller: CurrentCaller,
    context: Context,
    link: Page,
    device_type: Annotated[str | None, Query(alias="type")] = None,
    profile_id: Annotated[uuid.UUID | None, Query(alias="deviceProfileId")] = None,
) -> Json:
    """A page of the tenant's devices with owner and profile names."""
    result = await context.devices.page(
        caller, link, device_type=device_type, profile_id=profile_id
    )
    infos = await context.devices.to_infos(result.data)
    return {**result.to_wire(lambda d: d), "data": [i.to_wire() for i in infos]}


@router.get("/customer/{customer_id}/devices")
async def customer_devices(
    customer_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: Page,
    device_type: Annotated[str | None, Query(alias="type")] = None,
) -> Json:
    """A page of one customer's devices."""
    result = await context.devices.page(
        caller, link, customer_id=customer_id, device_type=device_type
    )
    return result.to_wire(Device.to_wire)


@router.get("/customer/{customer_id}/deviceInfos")
async def customer_device_infos(
    customer_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: Page,
    device_type: Annotated[str | None, Query(alias="type")] = None,
) -> Json:
    """A page of one customer's devices with owner and profile names."""
    result = await context.devices.page(
        caller, link, customer_id=customer_id, device_type=device_type
    )
    infos = await context.devices.to_infos(result.data)
    return {**result.to_wire(lambda d: d), "data": [i.to_wire() for i in infos]}


@router.get("/devices")
async def devices_by_ids(
    caller: CurrentCaller,
    context: Context,
    device_ids: Annotated[str, Query(alias="deviceIds")],
) -> list[Json]:
    """The listed devices the caller may see."""
    try:
        ids = [uuid.UUID(part) for part in device_ids.split(",") if part.strip()]
    except ValueError:
        raise InvalidArgument("Invalid UUID in deviceIds") from None
    return [d.to_wire() for d in await context.devices.find_by_ids(caller, ids)]


@router.post("/customer/{customer_id}/device/{device_id}")
async def assign_device(
    customer_id: uuid.UUID, device_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Assign a device to a customer."""
    return (await context.devices.assign_to_customer(caller, device_id, customer_id)).to_wire()


@router.delete("/customer/device/{device_id}")
async def unassign_device(device_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """Take a device back from its customer."""
    return (await context.devices.unassign_from_customer(caller, device_id)).to_wire()
