"""Errors of the core layer; the API layer maps each to its status and error code.

EntityError
├── NotFound            the entity does not exist (or is not visible)  → 404 / 32
├── InvalidArgument     the request breaks a rule of the entity model  → 400 / 31
├── PermissionDenied    the caller may not touch this entity           → 403 / 20
├── EntitiesLimitExceeded  the tenant profile caps this entity count   → 403 / 41
├── ApiUsageLimitExceeded  a monthly limit of the profile is used up   → 429 / 33
└── VersionConflict     a save carried a stale ``version``             → 409 / 35
"""

from __future__ import annotations

from industryos.entities.ids import EntityType
from industryos.entities.models.entity_limits import normal_name


class EntityError(Exception):
    """Root of every error the entity services raise."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(EntityError):
    """The requested entity does not exist."""

    def __init__(self, message: str = "Requested item wasn't found!") -> None:
        super().__init__(message)


class InvalidArgument(EntityError):
    """The request violates a rule of the entity model."""


class PermissionDenied(EntityError):
    """The caller's authority or ownership does not allow the operation."""

    def __init__(
        self, message: str = "You don't have permission to perform this operation!"
    ) -> None:
        super().__init__(message)


class EntitiesLimitExceeded(EntityError):
    """The tenant already has as many entities of a type as its profile allows."""

    def __init__(self, entity_type: EntityType, limit: int) -> None:
        super().__init__(f"{normal_name(entity_type)}s limit reached")
        self.entity_type = entity_type
        self.limit = limit


class ApiUsageLimitExceeded(EntityError):
    """A monthly usage limit of the tenant profile (created alarms, emails, SMS) is used up."""


class VersionConflict(EntityError):
    """Optimistic locking: the stored entity changed since the caller read it."""


class AuthenticationFailed(EntityError):
    """Wrong credentials, a disabled or locked account, or a missing/invalid token."""


class TokenExpired(AuthenticationFailed):
    """The presented JWT has expired."""

    def __init__(self, message: str = "Token has expired") -> None:
        super().__init__(message)
