"""Managing user accounts over REST: who may create, change, list, activate and disable whom.

:class:`UserService` owns passwords and logins; this module adds what an administrator does
to other accounts. Ownership fields are never taken from the request body on update
(``authority``, ``tenantId``, ``customerId`` stay as stored), so no caller can move an
account into another tenant or raise its own authority. New accounts have no password: they
are activated through the link :meth:`UserAdminService.activation_token` returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from industryos.entities.access import Caller
from industryos.entities.audit_service import AuditService
from industryos.entities.errors import InvalidArgument, NotFound, PermissionDenied
from industryos.entities.ids import NULL_UUID, EntityType
from industryos.entities.models import ActionType, Authority, User
from industryos.entities.paging import PageData, PageLink
from industryos.entities.user_service import MIN_PASSWORD_LENGTH, UserService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

_ACCOUNT_KINDS = (Authority.SYS_ADMIN, Authority.TENANT_ADMIN, Authority.CUSTOMER_USER)


@dataclass(frozen=True, slots=True)
class LoginState:
    """What a user's credentials say: sign-in enabled, password set (link used)."""

    enabled: bool
    activated: bool


class UserAdminService:
    """User CRUD, lists and activation on behalf of an authenticated caller."""

    def __init__(
        self, db: Database, repos: Repositories, users: UserService, audit: AuditService
    ) -> None:
        self._db = db
        self._repos = repos
        self._users = users
        self._audit = audit

    async def get(self, caller: Caller, user_id: uuid.UUID) -> User:
        """A user the caller may manage (everyone may read themselves)."""
        user = await self._users.get(user_id)
        UserService.check_may_manage(caller, user)
        return user

    async def save(self, caller: Caller, user: User) -> User:
        """Create (activation pending) or update a user the caller may manage."""
        if user.id is None:
            saved = await self._create(caller, user)
            action = ActionType.ADDED
        else:
            saved = await self._update(caller, user)
            action = ActionType.UPDATED
        await self._record(caller, saved, action)
        return saved

    async def _create(self, caller: Caller, user: User) -> User:
        if user.authority not in _ACCOUNT_KINDS:
            raise InvalidArgument(f"Invalid authority: {user.authority.value}")
        if caller.is_tenant_admin:
            user = user.model_copy(update={"tenant_id": caller.tenant_id})
        if user.authority is Authority.SYS_ADMIN:
            user = user.model_copy(update={"tenant_id": NULL_UUID, "customer_id": NULL_UUID})
        elif user.authority is Authority.TENANT_ADMIN:
            user = user.model_copy(update={"customer_id": NULL_UUID})
        UserService.check_may_manage(caller, user)
        async with self._db.read() as conn:
            needs_tenant = user.authority is not Authority.SYS_ADMIN
            if needs_tenant and await self._repos.tenants.get(conn, user.tenant_id) is None:
                raise InvalidArgument("User is referencing non-existing tenant!")
            if user.authority is Authority.CUSTOMER_USER:
                customer = await self._repos.customers.get(conn, user.customer_id)
                if customer is None or customer.tenant_id != user.tenant_id:
                    raise InvalidArgument("User is referencing non-existing customer!")
        return await self._users.create(user, password=None, enabled=False)

    async def _update(self, caller: Caller, user: User) -> User:
        assert user.id is not None
        async with self._db.transaction() as conn:
            stored = await self._repos.users.get(conn, user.id)
            if stored is None:
                raise NotFound()
            UserService.check_may_manage(caller, stored)
            clash = await self._repos.users.find_one(
                conn, sa.func.lower(schema.user.c.email) == user.email.lower()
            )
            if clash is not None and clash.id != stored.id:
                raise InvalidArgument(
                    f"User with email '{user.email}' already present in database!"
                )
            return await self._repos.users.update(
                conn,
                user.model_copy(
                    update={
                        "authority": stored.authority,
                        "tenant_id": stored.tenant_id,
                        "customer_id": stored.customer_id,
                        "created_time": stored.created_time,
                    }
                ),
            )

    async def delete(self, caller: Caller, user_id: uuid.UUID) -> None:
        """Delete a user the caller may manage (never the caller itself)."""
        user = await self.get(caller, user_id)
        if user.id == caller.user_id:
            raise InvalidArgument("It is not allowed to delete its own user!")
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.delete(schema.user_credentials).where(
                    schema.user_credentials.c.user_id == user_id
                )
            )
            await self._repos.users.delete(conn, user_id)
        await self._record(caller, user, ActionType.DELETED)

    async def page_visible(self, caller: Caller, link: PageLink) -> PageData[User]:
        """Users the caller may see."""
        return await self._users.page_visible(caller, link)

    async def page_tenant_admins(
        self, caller: Caller, tenant_id: uuid.UUID, link: PageLink
    ) -> PageData[User]:
        """The administrators of one tenant (sysadmin)."""
        caller.require(Authority.SYS_ADMIN)
        table = schema.user
        return await self._users.page_where(
            link,
            table.c.tenant_id == tenant_id,
            table.c.authority == Authority.TENANT_ADMIN.value,
        )

    async def page_customer_users(
        self, caller: Caller, customer_id: uuid.UUID, link: PageLink
    ) -> PageData[User]:
        """The users of one customer of the caller's tenant (tenant admin)."""
        caller.require(Authority.TENANT_ADMIN)
        async with self._db.read() as conn:
            customer = await self._repos.customers.get(conn, customer_id)
        if customer is None:
            raise NotFound()
        caller.check_tenant(customer.tenant_id)
        table = schema.user
        return await self._users.page_where(
            link,
            table.c.tenant_id == caller.tenant_id,
            table.c.customer_id == customer_id,
            table.c.authority == Authority.CUSTOMER_USER.value,
        )

    async def activation_token(self, caller: Caller, user_id: uuid.UUID) -> str:
        """The pending activation token of a user the caller may manage."""
        await self.get(caller, user_id)
        table = schema.user_credentials
        async with self._db.read() as conn:
            token = (
                await conn.execute(
                    sa.select(table.c.activate_token).where(table.c.user_id == user_id)
                )
            ).scalar_one_or_none()
        if not token:
            raise InvalidArgument("User is already activated!")
        return str(token)

    async def is_pending_activation(self, activate_token: str) -> bool:
        """Whether ``activate_token`` still activates an account (the link was not used)."""
        return await self._user_of_token(activate_token) is not None

    async def _user_of_token(self, activate_token: str) -> uuid.UUID | None:
        table = schema.user_credentials
        async with self._db.read() as conn:
            user_id: uuid.UUID | None = (
                await conn.execute(
                    sa.select(table.c.user_id).where(table.c.activate_token == activate_token)
                )
            ).scalar_one_or_none()
        return user_id

    async def activate(self, activate_token: str, password: str) -> User:
        """Set the first password of the account holding ``activate_token``."""
        user_id = await self._user_of_token(activate_token)
        if user_id is None:
            raise NotFound("Unable to find user credentials by activateToken")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidArgument(
                f"Password must be at least {MIN_PASSWORD_LENGTH} characters long"
            )
        await self._users.set_password(user_id, password)
        return await self._users.get(user_id)

    async def login_states(self, user_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, LoginState]:
        """Whether each user may sign in and has set a password, in one query for a page."""
        if not user_ids:
            return {}
        table = schema.user_credentials
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(table.c.user_id, table.c.enabled, table.c.activate_token).where(
                    table.c.user_id.in_(list(user_ids))
                )
            )
            return {
                row.user_id: LoginState(bool(row.enabled), row.activate_token is None)
                for row in rows
            }

    async def set_credentials_enabled(
        self, caller: Caller, user_id: uuid.UUID, enabled: bool
    ) -> None:
        """Enable or disable logins of a user the caller may manage (not the caller itself)."""
        user = await self.get(caller, user_id)
        if user.id == caller.user_id:
            raise PermissionDenied()
        table = schema.user_credentials
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(table).where(table.c.user_id == user_id).values(enabled=enabled)
            )
        await self._record(caller, user, ActionType.UPDATED)

    async def _record(self, caller: Caller, user: User, action: ActionType) -> None:
        await self._audit.record(
            caller,
            action,
            entity_type=EntityType.USER,
            entity_id=user.id,
            entity_name=user.email,
            customer_id=user.customer_id,
        )
