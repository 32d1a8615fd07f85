"""Audit log REST (spec platform-api §3.10): time-bounded pages, filtered by action types.

ThingsBoard serves audit logs to tenant administrators only; so do we.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from industryos.api.deps import Context, CurrentCaller, TimePage
from industryos.entities.errors import InvalidArgument
from industryos.entities.ids import EntityType
from industryos.entities.models import ActionType, AuditLog, Authority

router = APIRouter(prefix="/api", tags=["audit-log"])

Json = dict[str, Any]
ActionTypes = Annotated[str | None, Query(alias="actionTypes")]


def parse_action_types(csv: str | None) -> list[ActionType] | None:
    """``actionTypes=ADDED,DELETED`` as enum values; an unknown name is a bad request."""
    if not csv:
        return None
    try:
        return [ActionType(part.strip().upper()) for part in csv.split(",") if part.strip()]
    except ValueError:
        raise InvalidArgument(f"Invalid action types: {csv}") from None


@router.get("/audit/logs")
async def audit_logs(
    caller: CurrentCaller, context: Context, link: TimePage, action_types: ActionTypes = None
) -> Json:
    """A page of the tenant's audit log."""
    caller.require(Authority.TENANT_ADMIN)
    page = await context.audit.page(caller, link, action_types=parse_action_types(action_types))
    return page.to_wire(AuditLog.to_wire)


@router.get("/audit/logs/customer/{customer_id}")
async def customer_audit_logs(
    customer_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    action_types: ActionTypes = None,
) -> Json:
    """A page of the entries about one customer's entities."""
    caller.require(Authority.TENANT_ADMIN)
    page = await context.audit.page(
        caller, link, customer_id=customer_id, action_types=parse_action_types(action_types)
    )
    return page.to_wire(AuditLog.to_wire)


@router.get("/audit/logs/user/{user_id}")
async def user_audit_logs(
    user_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    action_types: ActionTypes = None,
) -> Json:
    """A page of the entries one user caused."""
    caller.require(Authority.TENANT_ADMIN)
    page = await context.audit.page(
        caller, link, user_id=user_id, action_types=parse_action_types(action_types)
    )
    return page.to_wire(AuditLog.to_wire)


@router.get("/audit/logs/entity/{entity_type}/{entity_id}")
async def entity_audit_logs(
    entity_type: EntityType,
    entity_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    link: TimePage,
    action_types: ActionTypes = None,
) -> Json:
    """A page of the entries about one entity."""
    caller.require(Authority.TENANT_ADMIN)
    del entity_type  # ids are unique across entity types
    page = await context.audit.page(
        caller, link, entity_id=entity_id, action_types=parse_action_types(action_types)
    )
    return page.to_wire(AuditLog.to_wire)
