"""FastAPI dependencies shared by the routes: the authenticated caller and page links."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from industryos.api.context import ApiContext, api_context
from industryos.api.public_access import check_public_caller, check_public_request
from industryos.api.tokens import VerifiedToken
from industryos.entities.access import Caller
from industryos.entities.errors import AuthenticationFailed, InvalidArgument
from industryos.entities.paging import PageLink, SortOrder

Context = Annotated[ApiContext, Depends(api_context)]

BEARER = "bearer "


def bearer_token(request: Request) -> str:
    """The JWT from ``X-Authorization`` or ``Authorization`` (``Bearer <jwt>``)."""
    for header in ("x-authorization", "authorization"):
        value = request.headers.get(header)
        if value and value[: len(BEARER)].lower() == BEARER:
            return value[len(BEARER) :].strip()
    raise AuthenticationFailed("Authentication failed")


async def verify_token(context: ApiContext, token: str) -> VerifiedToken:
    """Check signature, expiry, logout and password changes for ``token``."""
    verified = context.tokens.verify(token)
    caller = verified.caller
    if context.sessions.is_revoked(caller.session_id):
        raise AuthenticationFailed("Token has been revoked")
    if verified.is_public:  # no user row behind it: the public customer must still be public
        await check_public_caller(context, caller)
        return verified
    state = await context.users.credential_state(caller.user_id)
    if state is None or not state.enabled:
        raise AuthenticationFailed("User is not active")
    if verified.issued_at_ms < state.tokens_valid_after:
        raise AuthenticationFailed("Token is outdated")
    return verified


async def current_caller(request: Request, context: Context) -> Caller:
    """The user behind the request's access token."""
    verified = await verify_token(context, bearer_token(request))
    if verified.is_refresh:
        raise AuthenticationFailed("Refresh token can't be used to access the API")
    if verified.is_public:
        check_public_request(request.method, request.url.path)
    return verified.caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def page_link(
    context: Context,
    page_size: Annotated[int, Query(alias="pageSize", ge=1)],
    page: Annotated[int, Query(ge=0)],
    text_search: Annotated[str | None, Query(alias="textSearch")] = None,
    sort_property: Annotated[str | None, Query(alias="sortProperty")] = None,
    sort_order: Annotated[str | None, Query(alias="sortOrder")] = None,
) -> PageLink:
    """The paging parameters every list endpoint takes."""
    if page_size > context.max_page_size:
        raise InvalidArgument(f"Page size must not exceed {context.max_page_size}")
    return PageLink(
        page_size=page_size,
        page=page,
        text_search=text_search or None,
        sort_property=sort_property or None,
        sort_order=SortOrder.parse(sort_order),
    )


def time_page_link(
    link: Annotated[PageLink, Depends(page_link)],
    start_time: Annotated[int | None, Query(alias="startTime")] = None,
    end_time: Annotated[int | None, Query(alias="endTime")] = None,
) -> PageLink:
    """A page link bounded in time (audit logs, events, alarms)."""
    return PageLink(
        page_size=link.page_size,
        page=link.page,
        text_search=link.text_search,
        sort_property=link.sort_property,
        sort_order=link.sort_order,
        start_time=start_time,
        end_time=end_time,
    )


Page = Annotated[PageLink, Depends(page_link)]
TimePage = Annotated[PageLink, Depends(time_page_link)]
