"""The dashboard service on its own: scoping, sharing and what it announces (both engines)."""

from __future__ import annotations

import uuid

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.dashboard_model import Dashboard
from industryos.entities.dashboard_service import DashboardService, ShareMode
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.models import Authority, Customer
from industryos.entities.paging import PageLink
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories
from tests.support.recording import RecordingPublisher

TENANT = uuid.uuid4()


@pytest.fixture
async def setup(engine: AsyncEngine) -> tuple[DashboardService, RecordingPublisher, Repositories]:
    db = Database(engine)
    repos = Repositories.create()
    publisher = RecordingPublisher()
    return DashboardService(db, repos, AuditService(db, repos), publisher), publisher, repos


def _admin(tenant: uuid.UUID = TENANT) -> Caller:
    return Caller(uuid.uuid4(), "admin@t.test", Authority.TENANT_ADMIN, tenant_id=tenant)


async def _customer(engine: AsyncEngine, repos: Repositories, title: str) -> uuid.UUID:
    async with Database(engine).transaction() as conn:
        saved = await repos.customers.insert(conn, Customer(tenant_id=TENANT, title=title))
    assert saved.id is not None
    return saved.id


async def test_lifecycle_is_announced_with_customer_metadata(
    engine: AsyncEngine, setup: tuple[DashboardService, RecordingPublisher, Repositories]
) -> None:
    service, publisher, repos = setup
    customer = await _customer(engine, repos, "Plant")
    admin = _admin()
    created = await service.save(admin, Dashboard(title="Line 1", configuration={"widgets": {}}))
    assert created.id is not None and created.tenant_id == TENANT
    await service.assign(admin, customer, created.id)
    await service.unassign(admin, customer, created.id)
    await service.delete(admin, created.id)
    assert publisher.types() == [
        "ENTITY_CREATED",
        "ENTITY_ASSIGNED",
        "ENTITY_UNASSIGNED",
        "ENTITY_DELETED",
    ]
    assigned = publisher.messages[1]
    assert assigned.customer_id == customer
    assert assigned.metadata["assignedCustomerName"] == "Plant"
    assert "configuration" not in orjson.loads(assigned.data)
    with pytest.raises(NotFound):
        await service.get(admin, created.id)


async def test_customer_user_reads_only_what_is_shared(
    engine: AsyncEngine, setup: tuple[DashboardService, RecordingPublisher, Repositories]
) -> None:
    service, _, repos = setup
    plant = await _customer(engine, repos, "Plant")
    other = await _customer(engine, repos, "Other")
    admin = _admin()
    shared = await service.save(admin, Dashboard(title="Shared"))
    await service.save(admin, Dashboard(title="Private"))
    assert shared.id is not None
    await service.update_customers(admin, shared.id, [plant], ShareMode.ADD)
    user = Caller(
        uuid.uuid4(), "u@t.test", Authority.CUSTOMER_USER, tenant_id=TENANT, customer_id=plant
    )
    page = await service.page(user, PageLink(10), customer_id=plant)
    assert [d.title for d in page.data] == ["Shared"]
    assert (await service.get(user, shared.id)).title == "Shared"
    with pytest.raises(PermissionDenied):
        await service.page(user, PageLink(10), customer_id=other)
    with pytest.raises(PermissionDenied):
        await service.save(user, shared.model_copy(update={"title": "Mine now"}))
    with pytest.raises(PermissionDenied):
        await service.get(_admin(uuid.uuid4()), shared.id)
    with pytest.raises(InvalidArgument):
        await service.assign(admin, plant, shared.id)
