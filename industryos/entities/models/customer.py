"""Customers: groups of end users inside a tenant that devices and assets are assigned to."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from industryos.entities.fields import CustomerId, TenantId
from industryos.entities.models.tenant import ContactInfo


class Customer(ContactInfo):
    """A customer of a tenant."""

    id: CustomerId | None = None
    tenant_id: TenantId | None = None
    title: str = Field(min_length=1, max_length=255)
    is_public: bool = Field(False, exclude=True)
    additional_info: Any = None
    external_id: CustomerId | None = None
    version: int | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        wire["name"] = self.title
        return wire
