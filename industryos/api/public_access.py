"""What a public dashboard's pseudo-user may do: read, and nothing else.

ThingsBoard's public login (``/api/auth/login/public``) hands anyone holding a public id a
token of the tenant's "Public" customer; that customer user reads the dashboards and
entities assigned to the public customer. Customer scoping already limits what it sees;
here we also make it read-only (ThingsBoard lets it send RPCs and write attributes, which a
link on a wall screen should not): only GETs and the read-only query POSTs pass. A token
stops working as soon as its customer is no longer public or is deleted.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from industryos.entities.errors import AuthenticationFailed, PermissionDenied
from industryos.entities.ids import NULL_UUID

if TYPE_CHECKING:
    from industryos.api.context import ApiContext
    from industryos.entities.access import Caller
    from industryos.entities.models import Customer

__all__ = ["check_public_caller", "check_public_request", "public_customer_of", "public_user_wire"]

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

READ_ONLY_POSTS = frozenset(
    {
        "/api/entitiesQuery/find",
        "/api/entitiesQuery/count",
        "/api/entitiesQuery/find/keys",
        "/api/alarmsQuery/find",
        "/api/alarmsQuery/count",
        "/api/auth/logout",
    }
)
"""POSTs that only read (queries with a body), plus ending the public session."""


def public_id_of(caller: Caller) -> uuid.UUID:
    """The public id behind a public token (refresh tokens carry it only as ``sub``)."""
    if caller.customer_id != NULL_UUID:
        return caller.customer_id
    try:
        return uuid.UUID(caller.email)
    except ValueError:
        raise AuthenticationFailed("Invalid JWT token") from None


async def public_customer_of(context: ApiContext, caller: Caller) -> Customer:
    """The public customer of a public token; refused when it is gone or no longer public."""
    customer = await context.customers.find_public(public_id_of(caller))
    if customer is None or caller.tenant_id not in (NULL_UUID, customer.tenant_id):
        raise AuthenticationFailed("Public access is no longer granted")
    return customer


async def check_public_caller(context: ApiContext, caller: Caller) -> None:
    """Refuse a public token whose customer is gone or no longer public."""
    await public_customer_of(context, caller)


def check_public_request(method: str, path: str) -> None:
    """Refuse anything but reads for a public caller."""
    if method.upper() in READ_METHODS or path.rstrip("/") in READ_ONLY_POSTS:
        return
    raise PermissionDenied("Public dashboards are read-only")


def public_user_wire(caller: Caller) -> dict[str, Any]:
    """What ``/api/auth/user`` shows a public viewer: ThingsBoard's "Public Public" user."""
    return {
        "id": {"entityType": "USER", "id": str(NULL_UUID)},
        "tenantId": {"entityType": "TENANT", "id": str(caller.tenant_id)},
        "customerId": {"entityType": "CUSTOMER", "id": str(caller.customer_id)},
        "email": caller.email,
        "name": caller.email,
        "authority": caller.authority.value,
        "firstName": "Public",
        "lastName": "Public",
        "additionalInfo": {"isPublic": True},
    }
