"""Users and their authorities."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from industryos.entities.fields import CustomerId, EntityRow, TenantId, UserId
from industryos.entities.ids import NULL_UUID


class Authority(StrEnum):
    """What a user is allowed to do, by kind of account."""

    SYS_ADMIN = "SYS_ADMIN"
    TENANT_ADMIN = "TENANT_ADMIN"
    CUSTOMER_USER = "CUSTOMER_USER"
    REFRESH_TOKEN = "REFRESH_TOKEN"


class User(EntityRow):
    """A person who logs in; sysadmins have the null tenant, tenant admins the null customer."""

    id: UserId | None = None
    tenant_id: TenantId = NULL_UUID
    customer_id: CustomerId = NULL_UUID
    email: str = Field(min_length=3, max_length=255, pattern=r"^[^@\s]+@[^@\s]+$")
    authority: Authority
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    additional_info: Any = None
    version: int | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = super().to_wire()
        wire["name"] = self.email
        return wire
