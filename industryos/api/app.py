"""Builds the FastAPI application: error contract, docs paths, health and every router.

The composition is visible here in one function; routes reach services only through the
:class:`ApiContext` the node hands in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI

from industryos import __version__
from industryos.api.context import ApiContext
from industryos.api.docs import install_swagger_ui
from industryos.api.errors import install_error_handlers
from industryos.api.health import UP, Health
from industryos.api.responses import JsonResponse
from industryos.api.routes import auth, customers, devices, relations, telemetry, tenants
from industryos.api.routes.alarms import router as alarms_router
from industryos.api.routes.alarms_query import router as alarms_query_router
from industryos.api.routes.asset_profiles import router as asset_profiles_router
from industryos.api.routes.assets import router as assets_router
from industryos.api.routes.audit import router as audit_router
from industryos.api.routes.bulk_import import router as bulk_import_router
from industryos.api.routes.claims import router as claims_router
from industryos.api.routes.dashboards import router as dashboards_router
from industryos.api.routes.device_profiles import router as device_profiles_router
from industryos.api.routes.events import router as events_router
from industryos.api.routes.notifications import router as notifications_router
from industryos.api.routes.ota import router as ota_router
from industryos.api.routes.owner import router as owner_router
from industryos.api.routes.rule_engine import router as rule_engine_router
from industryos.api.routes.sms_test import router as sms_test_router
from industryos.api.routes.tenant_profiles import router as tenant_profiles_router
from industryos.api.routes.users import router as users_router
from industryos.api.static import mount_ui

ROUTERS: list[APIRouter] = [
    auth.router,
    customers.router,
    devices.router,
    relations.router,
    telemetry.router,
]
"""Every REST router, in the order they are mounted (other layers append theirs)."""
ROUTERS += [
    device_profiles_router,
    asset_profiles_router,
    assets_router,
    users_router,
    tenant_profiles_router,
    audit_router,
    alarms_router,
    claims_router,
    notifications_router,
    sms_test_router,
    owner_router,
    ota_router,
    bulk_import_router,
    dashboards_router,
    events_router,
    alarms_query_router,
    rule_engine_router,
]

OPENAPI_URL = "/v3/api-docs"

LAST_ROUTERS: list[APIRouter] = [tenants.router]
"""Mounted after every other router: ``/api/tenant/{tenantId}`` would otherwise shadow
fixed paths such as ``/api/tenant/devices`` (ids are validated as UUIDs *after* matching,
so that a malformed id gets a 400 rather than a 404)."""


def create_app(
    context: ApiContext,
    *,
    health: Callable[[], Awaitable[Health]] | None = None,
) -> FastAPI:
    """The REST application of one node; ``health`` answers ``/api/health`` (UP when not
    given: an app without a node behind it)."""
    app = FastAPI(
        title="IndustryOS REST API",
        version=__version__,
        default_response_class=JsonResponse,
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    install_error_handlers(app)

    @app.get("/api/health", tags=["system"])
    async def node_health() -> JsonResponse:
        """200 ``{"status": "UP"}`` when every worker of the node takes device data; else
        503 ``STARTING`` (until every listener is ready) or ``DOWN`` with the reason (a full
        disk, a worker that does not answer)."""
        found = Health(UP) if health is None else await health()
        return JsonResponse(found.to_wire(), status_code=found.http_status)

    install_swagger_ui(app, OPENAPI_URL)

    for router in [*ROUTERS, *LAST_ROUTERS]:
        app.include_router(router)
    mount_ui(app)  # last: its fallback answers every non-API GET with the UI's index.html
    return app
