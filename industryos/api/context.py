"""What the REST layer needs from the node: the services, built once and shared by routes."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from industryos.alarms.services import Alarms
from industryos.api.sessions import SessionRevocations
from industryos.api.tokens import TokenIssuer
from industryos.entities.asset_profile_service import AssetProfileService
from industryos.entities.asset_service import AssetService
from industryos.entities.audit_service import AuditService
from industryos.entities.customer_service import CustomerService
from industryos.entities.dashboard_service import DashboardService
from industryos.entities.device_profile_service import DeviceProfileService
from industryos.entities.device_service import DeviceService
from industryos.entities.relation_service import RelationService
from industryos.entities.telemetry_access import TelemetryAccess
from industryos.entities.tenant_profile_service import TenantProfileService
from industryos.entities.tenant_service import TenantService
from industryos.entities.user_admin_service import UserAdminService
from industryos.entities.user_service import UserService
from industryos.notify import Notifications


@dataclass(slots=True)
class ApiContext:
    """Services reachable from every route (through :func:`api_context`)."""

    tokens: TokenIssuer
    sessions: SessionRevocations
    users: UserService
    audit: AuditService
    tenants: TenantService
    customers: CustomerService
    device_profiles: DeviceProfileService
    devices: DeviceService
    relations: RelationService
    telemetry_access: TelemetryAccess
    asset_profiles: AssetProfileService
    assets: AssetService
    tenant_profiles: TenantProfileService
    user_admin: UserAdminService
    max_page_size: int = 1000
    alarms: Alarms | None = None
    notifications: Notifications | None = None
    dashboards: DashboardService | None = None


def api_context(request: Request) -> ApiContext:
    """The node's API context (a FastAPI dependency)."""
    context: ApiContext = request.app.state.context
    return context
