"""Who is calling, and the tenant/customer scoping every service applies.

Every query is scoped by tenant, and by customer for customer users (design contract
"Tenant isolation"). Services receive a :class:`Caller` and use these checks instead of
re-deriving the rules.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from industryos.entities.errors import PermissionDenied
from industryos.entities.ids import NULL_UUID
from industryos.entities.models.user import Authority


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user behind a request."""

    user_id: uuid.UUID
    email: str
    authority: Authority
    tenant_id: uuid.UUID = NULL_UUID
    customer_id: uuid.UUID = NULL_UUID
    session_id: str = ""

    @classmethod
    def rule_engine(cls, tenant_id: uuid.UUID) -> Caller:
        """The rule engine acting inside one tenant (it has no user of its own)."""
        return cls(NULL_UUID, "rule-engine", Authority.TENANT_ADMIN, tenant_id, NULL_UUID)

    @property
    def is_sys_admin(self) -> bool:
        """A platform administrator: no tenant data."""
        return self.authority is Authority.SYS_ADMIN

    @property
    def is_tenant_admin(self) -> bool:
        """Full rights inside one tenant."""
        return self.authority is Authority.TENANT_ADMIN

    @property
    def is_customer_user(self) -> bool:
        """Rights limited to the entities assigned to one customer."""
        return self.authority is Authority.CUSTOMER_USER

    def require(self, *authorities: Authority) -> None:
        """Refuse unless the caller has one of ``authorities``."""
        if self.authority not in authorities:
            raise PermissionDenied()

    def check_tenant(self, tenant_id: uuid.UUID | None) -> None:
        """Refuse access to anything outside the caller's tenant."""
        if self.is_sys_admin or tenant_id != self.tenant_id:
            raise PermissionDenied()

    def check_owner(self, tenant_id: uuid.UUID | None, customer_id: uuid.UUID | None) -> None:
        """Refuse access to an entity the caller's tenant or customer does not own."""
        self.check_tenant(tenant_id)
        if self.is_customer_user and customer_id != self.customer_id:
            raise PermissionDenied()
