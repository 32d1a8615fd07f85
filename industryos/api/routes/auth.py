"""``/api/auth/*``: login, token refresh, logout, the current user, password change."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from industryos.api.deps import Context, CurrentCaller, verify_token
from industryos.api.public_access import public_customer_of, public_user_wire
from industryos.entities.errors import AuthenticationFailed
from industryos.entities.ids import NULL_UUID, EntityType, now_ms
from industryos.entities.models import ActionType

router = APIRouter(prefix="/api", tags=["auth"])


class LoginRequest(BaseModel):
    """Credentials of ``/api/auth/login``."""

    username: str = Field(min_length=1)
    password: str


class PublicLoginRequest(BaseModel):
    """Body of ``/api/auth/login/public``: the public customer's id."""

    publicId: uuid.UUID


class RefreshRequest(BaseModel):
    """Body of ``/api/auth/token``."""

    refreshToken: str = Field(min_length=1)


class ChangePasswordRequest(BaseModel):
    """Body of ``/api/auth/changePassword``."""

    currentPassword: str
    newPassword: str


@router.post("/auth/login")
async def login(body: LoginRequest, context: Context) -> dict[str, str]:
    """Exchange email and password for a JWT pair."""
    user = await context.users.authenticate(body.username, body.password)
    pair = context.tokens.issue(user)
    caller = context.tokens.verify(pair.token).caller
    await context.audit.record(
        caller,
        ActionType.LOGIN,
        entity_type=EntityType.USER,
        entity_id=user.id,
        entity_name=user.email,
    )
    return pair.to_wire()


@router.post("/auth/login/public")
async def login_public(body: PublicLoginRequest, context: Context) -> dict[str, str]:
    """A read-only token of a tenant's public customer, for its public dashboards."""
    customer = await context.customers.find_public(body.publicId)
    if customer is None:
        raise AuthenticationFailed("Public login failed: unknown public id")
    return context.tokens.issue_public(customer).to_wire()


@router.post("/auth/token")
async def refresh(body: RefreshRequest, context: Context) -> dict[str, str]:
    """Exchange a refresh token for a new pair in the same session."""
    verified = await verify_token(context, body.refreshToken)
    if not verified.is_refresh:
        raise AuthenticationFailed("Invalid refresh token")
    if verified.is_public:
        customer = await public_customer_of(context, verified.caller)
        return context.tokens.issue_public(customer, verified.caller.session_id).to_wire()
    user = await context.users.get(verified.caller.user_id)
    return context.tokens.issue(user, verified.caller.session_id).to_wire()


@router.post("/auth/logout")
async def logout(caller: CurrentCaller, context: Context) -> None:
    """End the session: its access and refresh tokens stop working."""
    expires = now_ms() + context.tokens.refresh_ttl_ms
    await context.sessions.revoke(caller.session_id, expires)
    await context.audit.record(
        caller,
        ActionType.LOGOUT,
        entity_type=EntityType.USER,
        entity_id=caller.user_id,
        entity_name=caller.email,
    )


@router.get("/auth/user")
async def current_user(caller: CurrentCaller, context: Context) -> dict[str, Any]:
    """The logged-in user (for a public token, the public customer's pseudo-user)."""
    if caller.user_id == NULL_UUID and caller.is_customer_user:
        return public_user_wire(caller)
    return (await context.users.get(caller.user_id)).to_wire()


@router.post("/auth/changePassword")
async def change_password(
    body: ChangePasswordRequest, caller: CurrentCaller, context: Context
) -> dict[str, str]:
    """Change the caller's password; tokens issued before stop working."""
    user = await context.users.get(caller.user_id)
    await context.users.change_password(user, body.currentPassword, body.newPassword)
    return context.tokens.issue(user).to_wire()
