"""Customer claiming over REST (platform-api §3.2, device-api §2.11), both engines.

The device half is recorded with :class:`DeviceClaims` as a transport would; the
customer user then claims through ``/api/customer/device/{deviceName}/claim``.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from industryos.devices.claims import DeviceClaims
from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority, User
from industryos.telemetry.kv import AttributeScope
from tests.api.conftest import Platform, TenantAccounts


async def new_device(accounts: TenantAccounts) -> dict[str, Any]:
    name = f"claimable-{uuid.uuid4().hex[:8]}"
    response = await accounts.admin.post("/api/device", json={"name": name})
    assert response.status_code == 200, response.text
    device: dict[str, Any] = response.json()
    return device


async def announce(
    platform: Platform, device: dict[str, Any], secret: str, duration_ms: int = 60_000
) -> None:
    """What a device's ``v1/devices/me/claim`` does."""
    recorded = await DeviceClaims(platform.core.telemetry).record(
        uuid.UUID(device["tenantId"]["id"]),
        uuid.UUID(device["id"]["id"]),
        NULL_UUID,
        secret,
        duration_ms,
    )
    assert recorded


async def customer_of(accounts: TenantAccounts, device: dict[str, Any]) -> str:
    response = await accounts.admin.get(f"/api/device/{device['id']['id']}")
    customer: str = response.json()["customerId"]["id"]
    return customer


async def server_attributes(platform: Platform, device: dict[str, Any]) -> dict[str, Any]:
    found = await platform.core.telemetry.get_attributes(
        uuid.UUID(device["tenantId"]["id"]),
        uuid.UUID(device["id"]["id"]),
        AttributeScope.SERVER_SCOPE,
    )
    return {e.key: e.native_value() for e in found.get(AttributeScope.SERVER_SCOPE, [])}


def claim_path(device: dict[str, Any]) -> str:
    return f"/api/customer/device/{device['name']}/claim"


async def test_claim_with_the_secret_assigns_the_device(platform: Platform) -> None:
    """Checklist 22: SUCCESS with the device; the claim is consumed; a second claim is CLAIMED."""
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    await announce(platform, device, "s3cret")

    response = await accounts.customer_user.post(claim_path(device), json={"secretKey": "s3cret"})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["response"] == "SUCCESS"
    assert body["device"]["customerId"]["id"] == accounts.customer_id
    assert await customer_of(accounts, device) == accounts.customer_id
    assert "claimingData" not in await server_attributes(platform, device)
    again = await accounts.customer_user.post(claim_path(device), json={"secretKey": "s3cret"})
    assert (again.status_code, again.json()) == (400, "CLAIMED")


async def test_wrong_secret_is_refused(platform: Platform) -> None:
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    await announce(platform, device, "right")

    response = await accounts.customer_user.post(claim_path(device), json={"secretKey": "wrong"})

    assert (response.status_code, response.json()) == (400, "FAILURE")
    assert await customer_of(accounts, device) == str(NULL_UUID)
    missing = await accounts.customer_user.post(claim_path(device))
    assert (missing.status_code, missing.json()) == (400, "FAILURE")


async def test_expired_claim_is_refused(platform: Platform) -> None:
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    await announce(platform, device, "late", duration_ms=1)
    await asyncio.sleep(0.01)

    response = await accounts.customer_user.post(claim_path(device), json={"secretKey": "late"})

    assert (response.status_code, response.json()) == (400, "FAILURE")
    assert await customer_of(accounts, device) == str(NULL_UUID)


async def test_empty_secret_claims_a_device_announced_without_one(platform: Platform) -> None:
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    await announce(platform, device, "")
    response = await accounts.customer_user.post(claim_path(device), json={})
    assert response.status_code == 200, response.text


async def test_unannounced_device_fails_and_unknown_name_is_404(platform: Platform) -> None:
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    response = await accounts.customer_user.post(claim_path(device), json={"secretKey": ""})
    assert (response.status_code, response.json()) == (400, "FAILURE")
    unknown = await accounts.customer_user.post(
        "/api/customer/device/no-such-device/claim", json={"secretKey": ""}
    )
    assert unknown.status_code == 404


async def test_only_customer_users_claim(platform: Platform) -> None:
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    await announce(platform, device, "x")
    response = await accounts.admin.post(claim_path(device), json={"secretKey": "x"})
    assert response.status_code == 403
    assert response.json()["errorCode"] == 20


async def test_other_tenants_device_is_not_found(platform: Platform) -> None:
    """Tenant isolation: a name is looked up only in the caller's tenant."""
    owner = await platform.new_tenant("Owner")
    other = await platform.new_tenant("Other")
    device = await new_device(owner)
    await announce(platform, device, "x")
    response = await other.customer_user.post(claim_path(device), json={"secretKey": "x"})
    assert response.status_code == 404
    assert await customer_of(owner, device) == str(NULL_UUID)


async def second_customer_user(platform: Platform, accounts: TenantAccounts) -> httpx.AsyncClient:
    customer = await accounts.admin.post("/api/customer", json={"title": "Second"})
    email = f"second-{uuid.uuid4().hex[:8]}@claims.test"
    await platform.core.users.create(
        User(
            email=email,
            authority=Authority.CUSTOMER_USER,
            tenant_id=uuid.UUID(accounts.tenant_id),
            customer_id=uuid.UUID(customer.json()["id"]["id"]),
        ),
        "password1",
    )
    return await platform.login(email, "password1")


async def test_reclaim_returns_the_device_to_the_tenant(platform: Platform) -> None:
    """DELETE takes it back; only the owning customer's users (or the tenant admin) may."""
    accounts = await platform.new_tenant("Claims")
    device = await new_device(accounts)
    await announce(platform, device, "k")
    assert (
        await accounts.customer_user.post(claim_path(device), json={"secretKey": "k"})
    ).is_success
    stranger = await second_customer_user(platform, accounts)

    refused = await stranger.delete(claim_path(device))
    assert refused.status_code == 403
    assert await customer_of(accounts, device) == accounts.customer_id

    response = await accounts.customer_user.delete(claim_path(device))
    assert response.status_code == 200
    assert await customer_of(accounts, device) == str(NULL_UUID)
    # claimable again once the device announces a new claim
    await announce(platform, device, "k2")
    again = await stranger.post(claim_path(device), json={"secretKey": "k2"})
    assert again.status_code == 200, again.text
    by_admin = await accounts.admin.delete(claim_path(device))
    assert by_admin.status_code == 200
    assert await customer_of(accounts, device) == str(NULL_UUID)
