"""User REST (spec platform-api §3.1, §3.3): CRUD, lists, activation and enabling logins.

As ThingsBoard, a user's JSON says in ``additionalInfo`` whether the account may sign in
(``userCredentialsEnabled``) and has set its password (``userActivated``). Both are read
from the credentials on every answer, never stored: a client that saves the JSON it read
cannot turn a login on or off through ``POST /api/user``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from industryos.api.context import ApiContext
from industryos.api.deps import Context, CurrentCaller, Page
from industryos.entities.models import User
from industryos.entities.paging import PageData

router = APIRouter(prefix="/api", tags=["user"])

Json = dict[str, Any]

ENABLED_FIELD = "userCredentialsEnabled"
ACTIVATED_FIELD = "userActivated"
_LOGIN_FIELDS = (ENABLED_FIELD, ACTIVATED_FIELD)


def _info(user: User) -> Json:
    return dict(user.additional_info) if isinstance(user.additional_info, dict) else {}


async def _render_all(context: ApiContext, users: list[User]) -> list[Json]:
    """``users`` as JSON with their login state in ``additionalInfo`` (one query)."""
    states = await context.user_admin.login_states([u.id for u in users if u.id is not None])
    rendered = []
    for user in users:
        state = states.get(user.id) if user.id is not None else None
        info = _info(user)
        info[ENABLED_FIELD] = state.enabled if state is not None else False
        info[ACTIVATED_FIELD] = state.activated if state is not None else False
        rendered.append({**user.to_wire(), "additionalInfo": info})
    return rendered


async def _render(context: ApiContext, user: User) -> Json:
    return (await _render_all(context, [user]))[0]


async def _render_page(context: ApiContext, page: PageData[User]) -> Json:
    return {**page.to_wire(lambda u: u), "data": await _render_all(context, page.data)}


class ActivateRequest(BaseModel):
    """Body of ``POST /api/noauth/activate``."""

    activateToken: str = Field(min_length=1)
    password: str


@router.get("/users")
@router.get("/user/users")
async def users(caller: CurrentCaller, context: Context, link: Page) -> Json:
    """A page of the users the caller may see (``/user/users`` is tb-rest-client's path)."""
    return await _render_page(context, await context.user_admin.page_visible(caller, link))


@router.get("/tenant/{tenant_id}/users")
async def tenant_users(
    tenant_id: uuid.UUID, caller: CurrentCaller, context: Context, link: Page
) -> Json:
    """A page of one tenant's administrators (sysadmin)."""
    page = await context.user_admin.page_tenant_admins(caller, tenant_id, link)
    return await _render_page(context, page)


@router.get("/customer/{customer_id}/users")
async def customer_users(
    customer_id: uuid.UUID, caller: CurrentCaller, context: Context, link: Page
) -> Json:
    """A page of one customer's users."""
    page = await context.user_admin.page_customer_users(caller, customer_id, link)
    return await _render_page(context, page)


@router.get("/user/{user_id}")
async def get_user(user_id: uuid.UUID, caller: CurrentCaller, context: Context) -> Json:
    """One user."""
    return await _render(context, await context.user_admin.get(caller, user_id))


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
    info = _info(user)
    if any(field in info for field in _LOGIN_FIELDS):
        kept = {k: v for k, v in info.items() if k not in _LOGIN_FIELDS}
        user = user.model_copy(update={"additional_info": kept})
    return await _render(context, await context.user_admin.save(caller, user))


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
