"""Dashboards as the REST contract shapes them (``Dashboard``, ``DashboardInfo``).

``name`` is a read-only alias of ``title`` on the wire (spec platform-api §1.2);
``assignedCustomers`` lists the customers the dashboard is shared with. ``configuration``
is opaque JSON that must round-trip unchanged (§3.3).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from industryos.entities.fields import CustomerId, DashboardId, EntityRow, TenantId, WireModel

__all__ = ["Dashboard", "ShortCustomerInfo"]


class ShortCustomerInfo(WireModel):
    """A customer a dashboard is shared with."""

    customer_id: CustomerId
    title: str | None = None
    is_public: bool = Field(False, alias="public")


class Dashboard(EntityRow):
    """A dashboard of one tenant, shared with any number of its customers."""

    id: DashboardId | None = None
    tenant_id: TenantId | None = None
    title: str = Field(min_length=1, max_length=255)
    image: str | None = None
    mobile_hide: bool = False
    mobile_order: int | None = None
    configuration: Any = None
    external_id: DashboardId | None = None
    version: int | None = None
    assigned_customers: list[ShortCustomerInfo] = Field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        """The full dashboard, with ``name`` mirroring ``title``."""
        return {**super().to_wire(), "name": self.title}

    def to_info_wire(self) -> dict[str, Any]:
        """``DashboardInfo``: everything but the configuration."""
        wire = self.to_wire()
        del wire["configuration"]
        return wire

    def is_assigned_to(self, customer_id: object) -> bool:
        """True when the dashboard is shared with ``customer_id``."""
        return any(c.customer_id == customer_id for c in self.assigned_customers)
