"""Customer claiming rules when claiming is *not* allowed by default (``claimingAllowed``)."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.claims import DeviceClaims
from industryos.devices.customer_claims import ClaimResponse, CustomerClaims
from industryos.entities.access import Caller
from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority, Customer, Device
from industryos.telemetry.kv import AttributeScope, DataType, KvEntry
from tests.support.core import CoreWithTenant, core_with_tenant


async def server_attributes(setup: CoreWithTenant, device: Device) -> dict[str, object]:
    assert device.tenant_id is not None and device.id is not None
    found = await setup.core.telemetry.get_attributes(
        device.tenant_id, device.id, AttributeScope.SERVER_SCOPE
    )
    return {e.key: e.native_value() for e in found.get(AttributeScope.SERVER_SCOPE, [])}


async def test_claiming_needs_claiming_allowed_and_reclaim_sets_it(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core, admin = setup.core, setup.admin
    try:
        customer = await core.customers.save(admin, Customer(title="Buyer"))
        assert customer.id is not None
        user = Caller(
            uuid.uuid4(), "buyer@test.local", Authority.CUSTOMER_USER, admin.tenant_id, customer.id
        )
        device = await core.devices.save(admin, Device(name="strict"))
        assert device.id is not None
        device_side = DeviceClaims(core.telemetry, allow_by_default=False)
        customer_side = CustomerClaims(core.devices, core.telemetry_access, allow_by_default=False)

        # not allowed yet: the device's announcement is dropped, the claim fails
        assert not await device_side.record(admin.tenant_id, device.id, NULL_UUID, "k", 0)
        assert (await customer_side.claim(user, "strict", "k")).response is ClaimResponse.FAILURE

        allowed = KvEntry("claimingAllowed", True, DataType.BOOLEAN)
        await core.telemetry.save_attributes(
            admin.tenant_id, device.id, AttributeScope.SERVER_SCOPE, [allowed]
        )
        assert await device_side.record(admin.tenant_id, device.id, NULL_UUID, "k", 0)
        result = await customer_side.claim(user, "strict", "k")
        assert result.response is ClaimResponse.SUCCESS
        assert result.device is not None and result.device.customer_id == customer.id
        left = await server_attributes(setup, device)
        assert "claimingAllowed" not in left and "claimingData" not in left

        await customer_side.reclaim(user, "strict")
        assert (await core.devices.get(admin, device.id)).customer_id == NULL_UUID
        assert (await server_attributes(setup, device))["claimingAllowed"] is True
    finally:
        await setup.close()
