"""Bulk operations on devices and assets (REST).

* ``POST /api/device/bulk_import`` and ``POST /api/asset/bulk_import``: ThingsBoard's CSV
  import (``BulkImportRequest`` → ``BulkImportResult``, see
  :mod:`industryos.entities.bulk_import_model`); 200 with a per-row report, 400 when the
  mapping itself is unusable.
* ``POST /api/devices/bulk/assign`` ``{"customerId", "deviceIds": […]}``,
  ``POST /api/devices/bulk/unassign`` and ``POST /api/devices/bulk/delete``
  ``{"deviceIds": […]}``: ours (ThingsBoard's UI loops over the single-device calls).
  Each device goes through the device service on its own, so one refusal (not found,
  another tenant's, not assigned) is reported for that id and the others proceed:
  ``{"succeeded": [ids], "errors": [{"id", "error"}]}``.

The node hands in the :class:`~industryos.entities.bulk_import.BulkImport` through
:func:`install`; the bulk device operations only need the device service.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import Field
from starlette.exceptions import HTTPException

from industryos.api.deps import Context, CurrentCaller
from industryos.entities.bulk_import import BulkImport
from industryos.entities.bulk_import_model import BulkImportRequest
from industryos.entities.errors import EntityError
from industryos.entities.fields import WireModel
from industryos.entities.models import Authority

__all__ = ["STATE_ATTRIBUTE", "install", "router"]

STATE_ATTRIBUTE = "bulk_import"
MAX_IDS = 10_000

router = APIRouter(prefix="/api", tags=["bulk"])
Json = dict[str, Any]


def install(app: FastAPI, bulk: BulkImport) -> None:
    """Hand the routes (mounted with the app's routers) the node's bulk importer."""
    setattr(app.state, STATE_ATTRIBUTE, bulk)


def _bulk(request: Request) -> BulkImport:
    bulk: BulkImport | None = getattr(request.app.state, STATE_ATTRIBUTE, None)
    if bulk is None:
        raise HTTPException(503, "Bulk import is not available")
    return bulk


Importer = Annotated[BulkImport, Depends(_bulk)]


class DeviceIds(WireModel):
    """The devices a bulk operation acts on."""

    device_ids: list[uuid.UUID] = Field(max_length=MAX_IDS)


class AssignRequest(DeviceIds):
    """Devices and the customer they go to."""

    customer_id: uuid.UUID


@router.post("/device/bulk_import")
async def import_devices(body: BulkImportRequest, caller: CurrentCaller, bulk: Importer) -> Json:
    """Create or update devices from CSV; one result per row."""
    return (await bulk.import_devices(caller, body)).to_wire()


@router.post("/asset/bulk_import")
async def import_assets(body: BulkImportRequest, caller: CurrentCaller, bulk: Importer) -> Json:
    """Create or update assets from CSV; one result per row."""
    return (await bulk.import_assets(caller, body)).to_wire()


async def _each(ids: list[uuid.UUID], act: Callable[[uuid.UUID], Awaitable[object]]) -> Json:
    succeeded: list[str] = []
    errors: list[Json] = []
    for device_id in dict.fromkeys(ids):
        try:
            await act(device_id)
        except EntityError as exc:
            errors.append({"id": str(device_id), "error": exc.message})
        else:
            succeeded.append(str(device_id))
    return {"succeeded": succeeded, "errors": errors}


@router.post("/devices/bulk/assign")
async def assign_devices(body: AssignRequest, caller: CurrentCaller, context: Context) -> Json:
    """Assign every listed device to the customer."""
    caller.require(Authority.TENANT_ADMIN)
    devices = context.devices
    return await _each(
        body.device_ids, lambda i: devices.assign_to_customer(caller, i, body.customer_id)
    )


@router.post("/devices/bulk/unassign")
async def unassign_devices(body: DeviceIds, caller: CurrentCaller, context: Context) -> Json:
    """Take every listed device back from its customer."""
    caller.require(Authority.TENANT_ADMIN)
    devices = context.devices
    return await _each(body.device_ids, lambda i: devices.unassign_from_customer(caller, i))


@router.post("/devices/bulk/delete")
async def delete_devices(body: DeviceIds, caller: CurrentCaller, context: Context) -> Json:
    """Delete every listed device."""
    caller.require(Authority.TENANT_ADMIN)
    devices = context.devices
    return await _each(body.device_ids, lambda i: devices.delete(caller, i))
