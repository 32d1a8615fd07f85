"""Users: accounts, passwords, login checks with lockout, and who may manage whom.

Passwords are argon2 hashes in ``user_credentials``, computed and checked off the event loop
and outside any transaction (a hash takes ~0.13 s). Repeated failed logins lock the account
for ``lockout_s`` seconds; the failure count is read again under the row lock after the
check, so concurrent attempts all count. Changing the password moves ``tokens_valid_after``
forward so every token issued before is refused.
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
from industryos.entities.passwords import hash_password_async, verify_password_async
from industryos.entities.tenant_limits import TenantLimitsService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

MIN_PASSWORD_LENGTH = 6
_LOGIN_RACE_RETRIES = 3
"""Checks redone when the password changes while a login checks it, before giving up."""


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

    async def create(
        self,
        user: User,
        password: str | None,
        *,
        enabled: bool = True,
        password_hash: str | None = None,
    ) -> User:
        """Store a new user with an optional password (no password: activation pending).

        ``password_hash``, when given, is ``password`` already hashed by the caller
        (first-start data hashes its accounts concurrently); it is stored as it is.
        """
        if await self.find_by_email(user.email) is not None:
            raise InvalidArgument(f"User with email '{user.email}' already present in database!")
        hashed: str | None = None
        if password is not None:
            _check_password_policy(password)
            hashed = password_hash or await hash_password_async(password)
        async with self._db.transaction() as conn:
            if user.tenant_id is not None and user.tenant_id != NULL_UUID:
                await self._limits.check_create(conn, user.tenant_id, EntityType.USER)
            saved = await self._users.insert(conn, user)
            await conn.execute(
                sa.insert(schema.user_credentials).values(
                    id=new_id(),
                    user_id=saved.id,
                    enabled=enabled and password is not None,
                    password_hash=hashed,
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
        for _ in range(_LOGIN_RACE_RETRIES):
            attempt = await self._attempt(user, password, now)
            if attempt is not None:
                break
        else:
            raise AuthenticationFailed("Invalid username or password")
        if not attempt.password_ok:
            if attempt.locked:
                raise AuthenticationFailed("User account is locked due to security policy")
            raise AuthenticationFailed("Invalid username or password")
        if not attempt.enabled:
            raise AuthenticationFailed("User is not active")
        return user

    async def _attempt(self, user: User, password: str, now: int) -> _Attempt | None:
        """Check ``password`` off the loop, then record the outcome under the row lock.

        None when the password changed during the check (check again). Failures are counted
        from the row as it is once locked, so concurrent wrong attempts all count.
        """
        async with self._db.read() as conn:
            checked = await _credentials_row(conn, user)
        if checked.locked_until > now:
            raise AuthenticationFailed("User account is locked due to security policy")
        password_ok = await verify_password_async(checked.password_hash, password)
        async with self._db.transaction() as conn:
            creds = await _credentials_row(conn, user, lock=True)
            if creds.password_hash != checked.password_hash:
                return None
            if creds.locked_until > now:  # a concurrent attempt locked it meanwhile
                raise AuthenticationFailed("User account is locked due to security policy")
            if password_ok:
                values = {"failed_login_attempts": 0, "locked_until": 0, "last_login_ts": now}
            else:
                failures = creds.failed_login_attempts + 1
                locked = failures >= self._policy.max_failures
                values = {
                    "failed_login_attempts": 0 if locked else failures,
                    "locked_until": now + self._policy.lockout_s * 1000 if locked else 0,
                }
            await conn.execute(
                sa.update(schema.user_credentials)
                .where(schema.user_credentials.c.user_id == user.id)
                .values(**values)
            )
        return _Attempt(password_ok, bool(values["locked_until"]), creds.enabled)

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
        if not await verify_password_async(creds.password_hash, current):
            raise InvalidArgument("Current password doesn't match!")
        _check_password_policy(new)
        if await verify_password_async(creds.password_hash, new):
            raise InvalidArgument("New password should be different from existing!")
        await self.set_password(user.id, new)

    async def set_password(self, user_id: uuid.UUID | None, password: str) -> None:
        """Set a password, enable the account and invalidate earlier tokens."""
        hashed = await hash_password_async(password)
        async with self._db.transaction() as conn:
            await conn.execute(
                sa.update(schema.user_credentials)
                .where(schema.user_credentials.c.user_id == user_id)
                .values(
                    password_hash=hashed,
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
class _Attempt:
    """A recorded login attempt."""

    password_ok: bool
    locked: bool
    enabled: bool


@dataclass(frozen=True, slots=True)
class _CredentialsRow:
    password_hash: str | None
    enabled: bool
    failed_login_attempts: int
    locked_until: int


async def _credentials_row(
    conn: AsyncConnection, user: User, *, lock: bool = False
) -> _CredentialsRow:
    """The user's credentials; ``lock`` holds the row until the transaction ends."""
    table = schema.user_credentials
    query = sa.select(
        table.c.password_hash,
        table.c.enabled,
        table.c.failed_login_attempts,
        table.c.locked_until,
    ).where(table.c.user_id == user.id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise AuthenticationFailed("Invalid username or password")
    return _CredentialsRow(row[0], bool(row[1]), int(row[2]), int(row[3]))
