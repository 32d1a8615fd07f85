"""Asset REST (spec platform-api §3.3): CRUD, lists, infos, types and customer assignment."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from industryos.api.deps import Context, CurrentCaller, Page, page_link
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType, entity_id_json
from industryos.entities.models import Asset
from industryos.entities.paging import PageData

router = APIRouter(prefix="/api", tags=["asset"])

Json = dict[str, Any]


async def _infos_page(context: Context, page: PageData[Asset]) -> Json:
    infos = await context.assets.to_infos(page.data)
    return {**page.to_wire(lambda a: a), "data": [i.to_wire() for i in infos]}


@router.get("/asset/types")
async def asset_types(caller: CurrentCaller, context: Context) -> list[Json]:
    """Distinct asset types of the tenant."""
    return [
        {
            "tenantId": entity_id_json(EntityType.TENANT, caller.tenant_id),
            "entityType": EntityType.ASSET.value,
            "type": t,
        }
        for t in await context.assets.types(caller)
    ]


@router.get("/asset/{asset_id}")
async def get_asset(asset_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One asset."""
    return (await context.assets.get(caller, asset_id)).to_wire()


@router.get("/asset/info/{asset_id}")
async def get_asset_info(asset_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One asset with owner and profile names."""
    return (await context.assets.get_info(caller, asset_id)).to_wire()


@router.post("/asset")
async def save_asset(asset: Asset, caller: CurrentCaller, context: Context) -> Json:
    """Create or update an asset."""
    return (await context.assets.save(caller, asset)).to_wire()


@router.delete("/asset/{asset_id}")
async def delete_asset(asset_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete an asset."""
    await context.assets.delete(caller, asset_id)


@router.get("/tenant/assets")
async def tenant_assets(
    caller: CurrentCaller,
    context: Context,
    page_size: Annotated[int | None, Query(alias="pageSize", ge=1)] = None,
    page: Annotated[int | None, Query(ge=0)] = None,
    asset_type: Annotated[str | None, Query(alias="type")] = None,
    asset_name: Annotated[str | None, Query(alias="assetName")] = None,
    text_search: Annotated[str | None, Query(alias="textSearch")] = None,
    sort_property: Annotated[str | None, Query(alias="sortProperty")] = None,
    sort_order: Annotated[str | None, Query(alias="sortOrder")] = None,
) -> Json:
    """A page of the tenant's assets (legacy form: ``?assetName=`` returns one asset)."""
    if asset_name is not None:
        return (await context.assets.find_by_name(caller, asset_name)).to_wire()
    if page_size is None or page is None:
        raise InvalidArgument("Required request parameter 'pageSize' and 'page' are missing")
    link = page_link(context, page_size, page, text_search, sort_property, sort_order)
    result = await context.assets.page(caller, link, asset_type=asset_type)
    return result.to_wire(Asset.to_wire)


@router.get("/tenant/asset")
async def tenant_asset_by_name(
    caller: CurrentCaller,
    context: Context,
    asset_name: Annotated[str, Query(alias="assetName")],
) -> Json:
    """The tenant's asset with this name."""
    return (await context.assets.find_by_name(caller, asset_name)).to_wire()


@router.get("/tenant/assetInfos")
async def tenant_asset_infos(
    caller: CurrentCaller,
    context: Context,
    link: Page,
    asset_type: Annotated[str | None, Query(alias="type")] = None,
    profile_id: Annotated[uuid.UUID | None, Query(alias="assetProfileId")] = None,
) -> Json:
    """A page of the tenant's assets with owner and profile names."""
    page = await context.assets.page(caller, link, asset_type=asset_type, profile_id=profile_id)
    return await _infos_page(context, page)


@router.get("/customer/{customer_id}/assets")
async def customer_assets(
    customer_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: Page,
    asset_type: Annotated[str | None, Query(alias="type")] = None,
) -> Json:
    """A page of one customer's assets."""
    page = await context.assets.page(caller, link, customer_id=customer_id, asset_type=asset_type)
    return page.to_wire(Asset.to_wire)


@router.get("/customer/{customer_id}/assetInfos")
async def customer_asset_infos(
    customer_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: Page,
    asset_type: Annotated[str | None, Query(alias="type")] = None,
    profile_id: Annotated[uuid.UUID | None, Query(alias="assetProfileId")] = None,
) -> Json:
    """A page of one customer's assets with owner and profile names."""
    page = await context.assets.page(
        caller, link, customer_id=customer_id, asset_type=asset_type, profile_id=profile_id
    )
    return await _infos_page(context, page)


@router.get("/assets")
async def assets_by_ids(
    caller: CurrentCaller,
    context: Context,
    asset_ids: Annotated[str, Query(alias="assetIds")],
) -> list[Json]:
    """The listed assets the caller may see."""
    try:
        ids = [uuid.UUID(part.strip()) for part in asset_ids.split(",") if part.strip()]
    except ValueError:
        raise InvalidArgument("Invalid UUID in assetIds") from None
    return [a.to_wire() for a in await context.assets.find_by_ids(caller, ids)]


@router.post("/customer/{customer_id}/asset/{asset_id}")
async def assign_asset(
    customer_id: uuid.UUID, asset_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Assign an asset to a customer."""
    return (await context.assets.assign_to_customer(caller, asset_id, customer_id)).to_wire()


@router.delete("/customer/asset/{asset_id}")
async def unassign_asset(asset_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """Take an asset back from its customer."""
    return (await context.assets.unassign_from_customer(caller, asset_id)).to_wire()
