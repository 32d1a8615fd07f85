"""Tenant-profile entity limits through the entity services, on both engines.

Each creation path (the device, asset, customer, user, dashboard and rule-chain services,
the rule engine's entity creation, provisioning) is refused at the profile's limit, another
tenant is not, and a changed profile or a reassigned tenant applies at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.devices.provision_wire import ProvisionRequest, ProvisionStatus
from industryos.devices.provisioning import Provisioner
from industryos.entities.access import Caller
from industryos.entities.dashboard_model import Dashboard
from industryos.entities.errors import EntitiesLimitExceeded
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import (
    Asset,
    Authority,
    Customer,
    Device,
    DeviceProfile,
    Tenant,
    TenantProfile,
    User,
)
from industryos.entities.models.entity_limits import EntityLimits, normal_name
from industryos.entities.paging import PageLink
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.rules.entities import EntityFields
from industryos.rules.model import RuleChain
from industryos.rules.nodes.entity_creation import EntityCreation
from industryos.rules.service import RuleChainService
from industryos.storage import schema
from tests.support.core import CoreWithTenant, core_with_tenant

SYSADMIN = Caller(uuid.uuid4(), "root@test.local", Authority.SYS_ADMIN)
ALL = PageLink(page_size=100, page=0)


def limited(name: str, **limits: int) -> TenantProfile:
    return TenantProfile(name=name, profile_data={"configuration": {"type": "DEFAULT", **limits}})


async def put_on_profile(setup: CoreWithTenant, profile: TenantProfile) -> TenantProfile:
    """Save ``profile`` and move the test tenant onto it."""
    core = setup.core
    saved = await core.tenant_profiles.save(SYSADMIN, profile)
    tenant = await core.tenants.get(SYSADMIN, setup.admin.tenant_id)
    await core.tenants.save(SYSADMIN, tenant.model_copy(update={"tenant_profile_id": saved.id}))
    return saved


async def other_tenant(setup: CoreWithTenant) -> Caller:
    """A second tenant on the default profile, with its admin as a caller."""
    tenant = await setup.core.tenants.save(SYSADMIN, Tenant(title="Other"))
    assert tenant.id is not None
    return Caller(uuid.uuid4(), "other@test.local", Authority.TENANT_ADMIN, tenant.id, NULL_UUID)


def test_limits_are_whole_non_negative_numbers_and_zero_is_unlimited() -> None:
    assert normal_name(EntityType.RULE_CHAIN) == "Rule chain"
    assert normal_name(EntityType.TB_RESOURCE) == "Resource"
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ValueError, match="maxDevices"):
            EntityLimits.check_configuration({"maxDevices": bad})
    EntityLimits.check_configuration({"maxDevices": 3, "maxAssets": 0, "maxUsers": None})
    read = EntityLimits.from_configuration({"maxDevices": 3.0, "maxAssets": "x"})
    assert read.max_count(EntityType.DEVICE) == 3
    assert read.max_count(EntityType.ASSET) == 0  # a stored unreadable limit is no limit
    with pytest.raises(ValueError, match="maxCustomers"):
        TenantProfile(name="bad", profile_data={"configuration": {"maxCustomers": -2}})


async def test_each_service_refuses_the_entity_past_its_limit(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core, admin = setup.core, setup.admin
    try:
        # core_with_tenant stored one tenant admin: a user limit of 2 leaves room for one.
        await put_on_profile(
            setup,
            limited(
                "Small",
                maxDevices=1,
                maxAssets=1,
                maxCustomers=1,
                maxUsers=2,
                maxDashboards=1,
                maxRuleChains=2,  # the root chain and one more
            ),
        )
        chains = RuleChainService(core.db, limits=core.limits)
        await chains.create_root_chain(admin.tenant_id)
        creations: dict[EntityType, Callable[[str], Awaitable[object]]] = {
            EntityType.DEVICE: lambda n: core.devices.save(admin, Device(name=n)),
            EntityType.ASSET: lambda n: core.assets.save(admin, Asset(name=n)),
            EntityType.CUSTOMER: lambda n: core.customers.save(admin, Customer(title=n)),
            EntityType.USER: lambda n: core.users.create(
                User(
                    email=f"{n}@t.test", authority=Authority.TENANT_ADMIN, tenant_id=admin.tenant_id
                ),
                None,
            ),
            EntityType.DASHBOARD: lambda n: core.dashboards.save(admin, Dashboard(title=n)),
            EntityType.RULE_CHAIN: lambda n: chains.save(admin, RuleChain(name=n)),
        }
        for entity_type, create in creations.items():
            await create("first")
            with pytest.raises(EntitiesLimitExceeded) as refused:
                await create("second")
            assert refused.value.entity_type is entity_type
            assert refused.value.message == f"{normal_name(entity_type)}s limit reached"
        assert refused.value.limit == 2  # the last one: rule chains

        # The public customer is a customer too (ThingsBoard counts it alike).
        with pytest.raises(EntitiesLimitExceeded):
            await core.customers.public_customer(admin)
        # Importing a chain creates one: refused as well.
        with pytest.raises(EntitiesLimitExceeded):
            await chains.import_chains(admin, {"ruleChains": [{"name": "imported"}]})

        # A deleted device frees its place.
        (device,) = (await core.devices.page(admin, ALL)).data
        assert device.id is not None
        await core.devices.delete(admin, device.id)
        await core.devices.save(admin, Device(name="again"))
    finally:
        await setup.close()


async def test_another_tenant_is_not_limited_by_this_tenants_profile(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core = setup.core
    try:
        await put_on_profile(setup, limited("One device", maxDevices=1))
        other = await other_tenant(setup)
        await core.devices.save(setup.admin, Device(name="d1"))
        for index in range(3):  # the same names: devices are unique per tenant only
            await core.devices.save(other, Device(name=f"d{index}"))
        with pytest.raises(EntitiesLimitExceeded):
            await core.devices.save(setup.admin, Device(name="d2"))
        assert (await core.devices.page(other, ALL)).total_elements == 3
    finally:
        await setup.close()


async def test_a_changed_profile_or_a_reassigned_tenant_applies_at_once(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core, admin = setup.core, setup.admin
    try:
        profile = await put_on_profile(setup, limited("Tight", maxAssets=1))
        await core.assets.save(admin, Asset(name="a1"))
        with pytest.raises(EntitiesLimitExceeded):
            await core.assets.save(admin, Asset(name="a2"))  # the limit is now cached

        raised = profile.model_copy(update={"profile_data": limited("x", maxAssets=2).profile_data})
        await core.tenant_profiles.save(SYSADMIN, raised)
        await core.assets.save(admin, Asset(name="a2"))
        with pytest.raises(EntitiesLimitExceeded) as refused:
            await core.assets.save(admin, Asset(name="a3"))
        assert refused.value.limit == 2

        default = await core.tenants.default_profile()
        tenant = await core.tenants.get(SYSADMIN, admin.tenant_id)
        await core.tenants.save(
            SYSADMIN, tenant.model_copy(update={"tenant_profile_id": default.id})
        )
        await core.assets.save(admin, Asset(name="a3"))  # the default profile has no limit
    finally:
        await setup.close()


async def test_a_change_made_by_another_node_applies_when_the_cached_entry_expires(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core = setup.core
    tenant_id = setup.admin.tenant_id
    try:
        profile = await put_on_profile(setup, limited("Cached", maxDashboards=1))
        now = [1000.0]
        limits = TenantLimitsService(core.db, ttl_s=60.0, clock=lambda: now[0])
        assert (await limits.limits(tenant_id)).max_count(EntityType.DASHBOARD) == 1
        async with core.db.transaction() as conn:  # what another node's REST call did
            await conn.execute(
                sa.update(schema.tenant_profile)
                .where(schema.tenant_profile.c.id == profile.id)
                .values(profile_data=limited("x", maxDashboards=5).profile_data)
            )
        now[0] += 59.0
        assert (await limits.limits(tenant_id)).max_count(EntityType.DASHBOARD) == 1
        now[0] += 2.0
        assert (await limits.limits(tenant_id)).max_count(EntityType.DASHBOARD) == 5
        heard: list[uuid.UUID | None] = []
        limits.on_changed(heard.append)
        limits.forget_tenant(tenant_id)
        assert profile.id is not None
        limits.forget_profile(profile.id)
        assert heard == [tenant_id, None]
    finally:
        await setup.close()


async def test_rule_engine_creation_and_provisioning_are_refused_at_the_limit(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core, admin = setup.core, setup.admin
    try:
        await put_on_profile(setup, limited("Two devices", maxDevices=2, maxCustomers=1))
        creation = EntityCreation(core.devices, core.assets, core.customers, EntityFields(core.db))
        await creation.create(admin.tenant_id, EntityType.DEVICE, "by-rule")
        again = await creation.create(admin.tenant_id, EntityType.DEVICE, "by-rule")
        assert again.entity_type is EntityType.DEVICE  # an existing one is found, not refused
        await creation.create(admin.tenant_id, EntityType.CUSTOMER, "by-rule")
        with pytest.raises(EntitiesLimitExceeded):
            await creation.create(admin.tenant_id, EntityType.CUSTOMER, "second")

        profile = DeviceProfile(
            name="provisioned", provision_type="ALLOW_CREATE_NEW_DEVICES", provision_device_key="k"
        )
        profile.profile_data["provisionConfiguration"] = {
            "type": "ALLOW_CREATE_NEW_DEVICES",
            "provisionDeviceSecret": "s",
        }
        await core.device_profiles.save(admin, profile)
        provisioner = Provisioner(
            core.db, core.repos, core.devices, core.telemetry, core.audit, setup.publisher
        )
        ok = await provisioner.provision(ProvisionRequest("k", "s", device_name="p1"))
        refused = await provisioner.provision(ProvisionRequest("k", "s", device_name="p2"))
        assert ok.status is ProvisionStatus.SUCCESS
        assert refused.status is ProvisionStatus.FAILURE
        names = {d.name for d in (await core.devices.page(admin, ALL)).data}
        assert names == {"by-rule", "p1"}
    finally:
        await setup.close()


async def test_concurrent_creations_never_overshoot_the_limit(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    setup = await core_with_tenant(engine, tmp_path)
    core = setup.core
    try:
        await put_on_profile(setup, limited("Three", maxDevices=3))
        outcomes = await asyncio.gather(
            *(core.devices.save(setup.admin, Device(name=f"d{n}")) for n in range(6)),
            return_exceptions=True,
        )
        refused = [o for o in outcomes if isinstance(o, EntitiesLimitExceeded)]
        created = [o for o in outcomes if isinstance(o, Device)]
        assert (len(created), len(refused)) == (3, 3)
        assert (await core.devices.page(setup.admin, ALL)).total_elements == 3
    finally:
        await setup.close()
