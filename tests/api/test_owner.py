"""``/api/owner/...``: the owner-change paths newer ThingsBoard clients assign through."""

from __future__ import annotations

from tests.api.checks import NULL_UUID, assert_error, create
from tests.api.conftest import Platform


async def test_owner_paths_assign_and_return_devices_and_assets(platform: Platform) -> None:
    a = await platform.new_tenant("Owner")
    device = await create(a.admin, "/api/device", name="Owned device")
    asset = await create(a.admin, "/api/asset", name="Owned asset", type="building")
    for kind, entity, path in (("DEVICE", device, "device"), ("ASSET", asset, "asset")):
        entity_id = entity["id"]["id"]
        to_customer = f"/api/owner/CUSTOMER/{a.customer_id}/{kind}/{entity_id}"
        assert (await a.admin.post(to_customer)).status_code == 200
        stored = (await a.admin.get(f"/api/{path}/{entity_id}")).json()
        assert stored["customerId"]["id"] == a.customer_id
        to_tenant = f"/api/owner/TENANT/{a.tenant_id}/{kind}/{entity_id}"
        assert (await a.admin.post(to_tenant)).status_code == 200
        assert (await a.admin.post(to_tenant)).status_code == 200  # already the tenant's
        stored = (await a.admin.get(f"/api/{path}/{entity_id}")).json()
        assert stored["customerId"]["id"] == NULL_UUID
    unsupported = f"/api/owner/CUSTOMER/{a.customer_id}/DASHBOARD/{device['id']['id']}"
    assert_error(await a.admin.post(unsupported), 400, 31)
    b = await platform.new_tenant("Thief")
    foreign_tenant = f"/api/owner/TENANT/{b.tenant_id}/DEVICE/{device['id']['id']}"
    assert_error(await a.admin.post(foreign_tenant), 403, 20)
    assert_error(
        await a.customer_user.post(f"/api/owner/TENANT/{a.tenant_id}/DEVICE/{device['id']['id']}"),
        403,
        20,
    )
