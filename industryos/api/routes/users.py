"""User REST (spec platform-api §3.1, §3.3): CRUD, lists, activation and enabling logins."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.models import User

router = APIRouter(prefix="/api", tags=["user"])

Json = dict[str, Any]


class ActivateRequest(BaseModel):
    """Body of ``POST /api/noauth/activate``."""

    activateToken: str = Field(min_length=1)
    password: str


@router.get("/users")
@router.get("/user/users")
async def users(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the users the caller may see (``/user/users`` is tb-rest-client's path)."""
    return (await context.user_admin.page_visible(caller, link)).to_wire(User.to_wire)


@router.get("/tenant/{tenant_id}/users")
async def tenant_users(
    tenant_id: uuid.UUID, caller: CurrentCaller, context: Context, link: Page
) -> Json:
    """A page of one tenant's administrators (sysadmin)."""
    page = await context.user_admin.page_tenant_admins(caller, tenant_id, link)
    return page.to_wire(User.to_wire)


@router.get("/customer/{customer_id}/users")
async def customer_users(
    customer_id: uuid.UUID, caller: CurrentCaller, context: Context, link: Page
) -> Json:
    """A page of one customer's users."""
    page = await context.user_admin.page_customer_users(caller, customer_id, link)
    return page.to_wire(User.to_wire)


@router.get("/user/{user_id}")
async def get_user(user_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One user."""
    return (await context.user_admin.get(caller, user_id)).to_wire()


@router.post("/user")
async def save_user(
    user: User,
    caller: CurrentCaller,
    context: Context,
    send_activation_mail: Annotated[bool, Query(alias="sendActivationMail")] = False,
) -> Json:
    """Create (activation pending) or update a user.

    ``sendActivationMail`` is accepted for compatibility; no mail is sent yet, the link
    comes from ``/api/user/{id}/activationLink``.
    """
    del send_activation_mail
    return (await context.user_admin.save(caller, user)).to_wire()


@router.delete("/user/{user_id}")
async def delete_user(user_id: uuid.UUID, caller: CurrentCaller, context: Context) -> None:
    """Delete a user."""
    await context.user_admin.delete(caller, user_id)


@router.get("/user/{user_id}/activationLink", response_class=PlainTextResponse)
async def activation_link(
    user_id: uuid.UUID, request: Request, caller: CurrentCaller, context: Context
) -> PlainTextResponse:
    """The link a new user activates the account with (plain text, as ThingsBoard)."""
    token = await context.user_admin.activation_token(caller, user_id)
    base = str(request.base_url).rstrip("/")
    return PlainTextResponse(f"{base}/api/noauth/activate?activateToken={token}")


@router.get("/noauth/activate", response_class=Response)
async def open_activation_link(
    context: Context, activate_token: Annotated[str, Query(alias="activateToken")]
) -> Response:
    """Where an activation link leads a browser: the UI's create-password page (303).

    As ThingsBoard's ``checkActivateToken``: a token that activates nothing (already used,
    or never issued) answers 409 instead of a page that could only fail.
    """
    if not await context.user_admin.is_pending_activation(activate_token):
        return Response(status_code=409)
    location = f"/login/createPassword?activateToken={quote(activate_token, safe='')}"
    return RedirectResponse(location, status_code=303)


@router.post("/noauth/activate")
async def activate(
    body: ActivateRequest,
    context: Context,
    send_activation_mail: Annotated[bool, Query(alias="sendActivationMail")] = True,
) -> dict[str, str]:
    """Set the first password of a new account and log it in."""
    del send_activation_mail
    user = await context.user_admin.activate(body.activateToken, body.password)
    return context.tokens.issue(user).to_wire()


@router.post("/user/{user_id}/userCredentialsEnabled")
async def set_credentials_enabled(
    user_id: uuid.UUID,
    caller: CurrentCaller,
    context: Context,
    enabled: Annotated[bool, Query(alias="userCredentialsEnabled")] = True,
) -> None:
    """Enable or disable a user's logins; a disabled user's tokens stop working."""
    await context.user_admin.set_credentials_enabled(caller, user_id, enabled)
