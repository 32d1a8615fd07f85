"""Logged-in clients without argon2: accounts stored directly, tokens issued by the app's issuer.

A password login costs ~0.2 s of argon2 per hash and per check, so tests that are not about
logging in get their accounts here: the user row plus enabled credentials without a password,
and a token from the same :class:`TokenIssuer` the app verifies with.
"""

from __future__ import annotations

import uuid

import httpx
import sqlalchemy as sa

from industryos.entities.ids import NULL_UUID, new_id
from industryos.entities.models import Authority, User
from industryos.storage import schema
from tests.api.conftest import SYSADMIN, Platform, TenantAccounts


async def client_for(platform: Platform, user: User) -> httpx.AsyncClient:
    """Store ``user`` enabled (no password) and return a client carrying its access token."""
    async with platform.core.db.transaction() as conn:
        saved = await platform.core.repos.users.insert(conn, user)
        await conn.execute(
            sa.insert(schema.user_credentials).values(id=new_id(), user_id=saved.id, enabled=True)
        )
    return platform.client(platform.app.state.context.tokens.issue(saved).token)


async def sysadmin(platform: Platform) -> httpx.AsyncClient:
    """A client of the fixture's system administrator."""
    user = await platform.core.users.find_by_email(SYSADMIN[0])
    assert user is not None
    return platform.client(platform.app.state.context.tokens.issue(user).token)


async def tenant(platform: Platform, name: str) -> TenantAccounts:
    """A tenant created over REST, with an admin, a customer and a customer user."""
    admin_sys = await sysadmin(platform)
    created = await admin_sys.post("/api/tenant", json={"title": name})
    assert created.status_code == 200, created.text
    tenant_id = uuid.UUID(created.json()["id"]["id"])
    tag = uuid.uuid4().hex[:8]
    admin = await client_for(
        platform,
        User(
            email=f"admin-{tag}@{name.lower()}.test",
            authority=Authority.TENANT_ADMIN,
            tenant_id=tenant_id,
            customer_id=NULL_UUID,
        ),
    )
    customer = await admin.post("/api/customer", json={"title": f"{name} Customer"})
    assert customer.status_code == 200, customer.text
    customer_id = uuid.UUID(customer.json()["id"]["id"])
    customer_user = await client_for(
        platform,
        User(
            email=f"user-{tag}@{name.lower()}.test",
            authority=Authority.CUSTOMER_USER,
            tenant_id=tenant_id,
            customer_id=customer_id,
        ),
    )
    return TenantAccounts(str(tenant_id), admin, str(customer_id), customer_user)
