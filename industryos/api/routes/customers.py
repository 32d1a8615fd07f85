"""Customer REST (spec platform-api §3.3)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.errors import InvalidArgument
from industryos.entities.models import Customer

router = APIRouter(prefix="/api", tags=["customer"])

Json = dict[str, Any]


@router.get("/customer/{customer_id}")
async def get_customer(customer_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One customer."""
    return (await context.customers.get(caller, customer_id)).to_wire()


@router.get("/customer/{customer_id}/shortInfo")
async def customer_short_info(
    customer_id: uuid.UUID, caller: CurrentCaller, context: Context
) -> Json:
    """Title and public flag of a customer."""
    customer = await context.customers.get(caller, customer_id)
    return {"title": customer.title, "isPublic": customer.is_public}


@router.get("/customer/{customer_id}/title")
async def customer_title(customer_id: uuid.UUID, caller: CurrentCaller, context: Context) -> str:
    """The title of a customer."""
    return (await context.customers.get(caller, customer_id)).title


@router.post("/customer")
async def save_customer(customer: Customer, caller: CurrentCaller, context: Context) -> Json:
    """Create or update a customer."""
    return (await context.customers.save(caller, customer)).to_wire()


@router.delete("/customer/{customer_id}")
async def delete_customer(customer_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a customer (its devices return to the tenant)."""
    await context.customers.delete(caller, customer_id)


@router.get("/customers")
async def customers(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the tenant's customers."""
    return (await context.customers.page(caller, link)).to_wire(Customer.to_wire)


@router.get("/tenant/customers")
async def customer_by_title(
    caller: CurrentCaller,
    context: Context,
    customer_title: Annotated[str, Query(alias="customerTitle")],
) -> Json:
    """The tenant's customer with this title."""
    return (await context.customers.find_by_title(caller, customer_title)).to_wire()


@router.get("/customers/list")
async def customers_by_ids(
    caller: CurrentCaller,
    context: Context,
    customer_ids: Annotated[str, Query(alias="customerIds")],
) -> list[Json]:
    """The listed customers."""
    try:
        ids = [uuid.UUID(part) for part in customer_ids.split(",") if part.strip()]
    except ValueError:
        raise InvalidArgument("Invalid UUID in customerIds") from None
    return [c.to_wire() for c in await context.customers.find_by_ids(caller, ids)]
