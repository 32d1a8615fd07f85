"""Users: accounts, passwords, login checks with lockout, and who may manage whom.

Passwords are argon2 hashes in ``user_credentials``. Repeated failed logins lock the account
for ``lockout_s`` seconds. Changing the password moves ``tokens_valid_after`` forward so
every token issued before is refused.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from industryos.entities.access import Caller
from industryos.entities.errors import (
    AuthenticationFailed,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from industryos.entities.ids import NULL_UUID, EntityType, new_id, now_ms
from industryos.entities.models import Authority, User
from industryos.entities.paging import PageData, PageLink
from industryos.entities.passwords import hash_password, verify_password
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

MIN_PASSWORD_LENGTH = 6


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How many failures lock an account, and for how long."""

    max_failures: int = 5
    lockout_s: int = 300


@dataclass(frozen=True, slots=True)
class CredentialState:
    """What token validation needs to know about a user's credentials."""

    enabled: bool
    tokens_valid_after: int


class UserService:
    """Creates and finds users and checks their passwords."""

    def __init__(
        self,
        db: Database,
        repos: Repositories,
        policy: LoginPolicy,
        *,
        limits: TenantLimitsService | None = None,
    ) -> None:
        self._db = db
        self._limits = limits or TenantLimitsService(db)
        self._users = repos.users
        self._policy = policy

    async def get(self, user_id: uuid.UUID) -> User:
        """The user with ``user_id``."""
        async with self._db.read() as conn:
            user = await self._users.get(conn, user_id)
        if user is None:
            raise NotFound()
        return user

    async def find_by_email(self, email: str) -> User | None:
        """The user with ``email`` (case-insensitive), or None."""
        async with self._db.read() as conn:
            return await self._users.find_one(
                conn, sa.func.lower(schema.user.c.email) == email.lower()
            )

    async def create(self, user: User, password: str | None, *, enabled: bool = True) -> User:
        """Store a new user with an optional password (no password: activation pending)."""
        if await self.find_by_email(user.email) is not None:
            raise InvalidArgument(f"User with email '{user.email}' already present in database!")
        if password is not None:
            _check_password_policy(password)
        async with self._db.transaction() as conn:
            if user.tenant_id is not None and user.tenant_id != NULL_UUID:
                await self._limits.check_create(conn, user.tenant_id, EntityType.USER)
            saved = await self._users.insert(conn, user)
            await conn.execute(
                sa.insert(schema.user_credentials).values(
                    id=new_id(),
                    user_id=saved.id,
                    enabled=enabled and password is not None,
                    password_hash=hash_password(password) if password is not None else None,
                    activate_token=None if password is not None else secrets.token_urlsafe(24),
                )
            )
        return saved

    async def page_visible(self, caller: Caller, link: PageLink) -> PageData[User]:
        """Users the caller may see: tenant admins see their tenant, customers their customer."""
        table = schema.user
        if caller.is_sys_admin:
            where = [table.c.authority == Authority.TENANT_ADMIN.value]
        elif caller.is_tenant_admin:
            where = [table.c.tenant_id == caller.tenant_id]
        else:
            where = [table.c.customer_id == caller.customer_id]
        async with self._db.read() as conn:
            return await self._users.page(conn, link, *where)

    async def page_where(self, link: PageLink, *where: sa.ColumnElement[bool]) -> PageData[User]:
        """Users matching ``where`` (callers check access first)."""
        async with self._db.read() as conn:
            return await self._users.page(conn, link, *where)

    async def authenticate(self, email: str, password: str) -> User:
        """The user behind ``email`` when ``password`` is right; counts failures and locks."""
        user = await self.find_by_email(email)
        if user is None:
            raise AuthenticationFailed("Invalid username or password")
        now = now_ms()
        async with self._db.read() as conn:
            creds = await _credentials_row(conn, user)
        if creds.locked_until > now:
            raise AuthenticationFailed("User account is locked due to security policy")
        password_ok = verify_password(creds.password_hash, password)
        if password_ok:
            values = {"failed_login_attempts": 0, "locked_until": 0, "last_login_ts": now}
        else:
            failures = creds.failed_login_attempts + 1
            locked = failures >= self._policy.max_failures
            values = {
                "failed_login_attempts": 0 if locked else failures,
                "locked_until": now + self._policy.lockout_s * 1000 if locked else 0,
            }
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(schema.user_credentials)
                .where(schema.user_credentials.c.user_id == user.id)
                .values(**values)
            )
        if not password_ok:
            if values["locked_until"]:
                raise AuthenticationFailed("User account is locked due to security policy")
            raise AuthenticationFailed("Invalid username or password")
        if not creds.enabled:
            raise AuthenticationFailed("User is not active")
        return user

    async def credential_state(self, user_id: uuid.UUID) -> CredentialState | None:
        """Whether the user may still use tokens, and since when tokens are valid."""
        query = sa.select(
            schema.user_credentials.c.enabled, schema.user_credentials.c.tokens_valid_after
        ).where(schema.user_credentials.c.user_id == user_id)
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else CredentialState(bool(row[0]), int(row[1]))

    async def change_password(self, user: User, current: str, new: str) -> None:
        """Replace the password after checking the current one; older tokens stop working."""
        async with self._db.read() as conn:
            creds = await _credentials_row(conn, user)
        if not verify_password(creds.password_hash, current):
            raise InvalidArgument("Current password doesn't match!")
        _check_password_policy(new)
        if verify_password(creds.password_hash, new):
            raise InvalidArgument("New password should be different from existing!")
        await self.set_password(user.id, new)

    async def set_password(self, user_id: uuid.UUID | None, password: str) -> None:
        """Set a password, enable the account and invalidate earlier tokens."""
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(schema.user_credentials)
                .where(schema.user_credentials.c.user_id == user_id)
                .values(
                    password_hash=hash_password(password),
                    enabled=True,
                    activate_token=None,
                    tokens_valid_after=now_ms(),
                )
            )

    @staticmethod
    def check_may_manage(caller: Caller, user: User) -> None:
        """Sysadmins manage tenant admins, tenant admins their tenant, others only themselves."""
        if caller.is_sys_admin:
            allowed = user.authority is Authority.TENANT_ADMIN or user.id == caller.user_id
        elif caller.is_tenant_admin:
            allowed = (
                user.authority is not Authority.SYS_ADMIN and user.tenant_id == caller.tenant_id
            )
        else:
            allowed = user.id == caller.user_id
        if not allowed:
            raise PermissionDenied()


def _check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long")


@dataclass(frozen=True, slots=True)
class _CredentialsRow:
    password_hash: str | None
    enabled: bool
    failed_login_attempts: int
    locked_until: int


async def _credentials_row(conn: AsyncConnection, user: User) -> _CredentialsRow:
    table = schema.user_credentials
    row = (
        await conn.execute(
            sa.select(
                table.c.password_hash,
                table.c.enabled,
                table.c.failed_login_attempts,
                table.c.locked_until,
            ).where(table.c.user_id == user.id)
        )
    ).first()
    if row is None:
        raise AuthenticationFailed("Invalid username or password")
    return _CredentialsRow(row[0], bool(row[1]), int(row[2]), int(row[3]))
