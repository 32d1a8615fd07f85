"""UserService passwords: checked off the event loop, lockout counted under concurrency."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from types import FrameType

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from industryos.entities import passwords
from industryos.entities.errors import AuthenticationFailed, InvalidArgument
from industryos.entities.models import Authority, User
from industryos.entities.passwords import hash_password_async, verify_password
from industryos.entities.user_service import LoginPolicy, UserService
from industryos.storage import schema
from industryos.storage.database import Database
from industryos.storage.repositories import Repositories

EMAIL = "user@test.local"
PASSWORD = "right-pw"
_PASSWORDS_FILE = str(Path(passwords.__file__))


def _service(engine: AsyncEngine, max_failures: int = 5) -> UserService:
    return UserService(Database(engine), Repositories.create(), LoginPolicy(max_failures, 300))


async def _stored_hash(engine: AsyncEngine, user: User) -> str:
    table = schema.user_credentials
    async with engine.connect() as conn:
        query = sa.select(table.c.password_hash).where(table.c.user_id == user.id)
        return str((await conn.execute(query)).scalar_one())


def _hashing_elsewhere() -> bool:
    """True when a thread other than this one is inside the password module right now."""
    for thread_id, frame in sys._current_frames().items():
        if thread_id == threading.get_ident():
            continue
        current: FrameType | None = frame
        while current is not None:
            if current.f_code.co_filename == _PASSWORDS_FILE:
                return True
            current = current.f_back
    return False


@pytest.mark.usefixtures("production_password_cost")  # a check long enough to watch
async def test_login_keeps_the_loop_running_while_the_password_is_checked(
    engine: AsyncEngine,
) -> None:
    users = _service(engine)
    await users.create(User(email=EMAIL, authority=Authority.SYS_ADMIN), PASSWORD)
    login = asyncio.create_task(users.authenticate(EMAIL, PASSWORD))
    ticks_while_hashing = 0
    while not login.done():
        if _hashing_elsewhere():
            ticks_while_hashing += 1
        await asyncio.sleep(0)
    assert (await login).email == EMAIL
    assert ticks_while_hashing > 0  # on the loop, nothing else could run during the check


async def test_concurrent_wrong_passwords_all_count_and_lock(engine: AsyncEngine) -> None:
    users = _service(engine, max_failures=3)
    await users.create(User(email=EMAIL, authority=Authority.SYS_ADMIN), PASSWORD)
    results = await asyncio.gather(
        *(users.authenticate(EMAIL, f"wrong-{i}") for i in range(3)), return_exceptions=True
    )
    assert all(isinstance(r, AuthenticationFailed) for r in results)
    with pytest.raises(AuthenticationFailed, match="locked"):
        await users.authenticate(EMAIL, PASSWORD)


async def test_failures_below_the_limit_are_reset_by_a_good_login(engine: AsyncEngine) -> None:
    users = _service(engine, max_failures=2)
    await users.create(User(email=EMAIL, authority=Authority.SYS_ADMIN), PASSWORD)
    with pytest.raises(AuthenticationFailed, match="Invalid username or password"):
        await users.authenticate(EMAIL, "wrong-pw")
    assert (await users.authenticate(EMAIL, PASSWORD)).email == EMAIL
    with pytest.raises(AuthenticationFailed, match="Invalid username or password"):
        await users.authenticate(EMAIL, "wrong-pw")  # one failure again, not two
    with pytest.raises(AuthenticationFailed, match="locked"):
        await users.authenticate(EMAIL, "wrong-pw")


async def test_create_stores_a_given_hash_or_hashes_the_password(engine: AsyncEngine) -> None:
    users = _service(engine)
    prepared = await hash_password_async("given-pw")
    given = await users.create(
        User(email="given@test.local", authority=Authority.SYS_ADMIN),
        "given-pw",
        password_hash=prepared,
    )
    assert await _stored_hash(engine, given) == prepared
    hashed = await users.create(User(email=EMAIL, authority=Authority.SYS_ADMIN), PASSWORD)
    assert verify_password(await _stored_hash(engine, hashed), PASSWORD)
    assert (await users.authenticate("given@test.local", "given-pw")).id == given.id
    with pytest.raises(InvalidArgument, match="at least 6"):
        await users.create(User(email="short@test.local", authority=Authority.SYS_ADMIN), "abc")


async def test_change_password_checks_then_replaces(engine: AsyncEngine) -> None:
    users = _service(engine)
    user = await users.create(User(email=EMAIL, authority=Authority.SYS_ADMIN), PASSWORD)
    with pytest.raises(InvalidArgument, match="Current password doesn't match"):
        await users.change_password(user, "wrong-pw", "new-password")
    with pytest.raises(InvalidArgument, match="at least 6"):
        await users.change_password(user, PASSWORD, "abc")
    with pytest.raises(InvalidArgument, match="should be different"):
        await users.change_password(user, PASSWORD, PASSWORD)
    await users.change_password(user, PASSWORD, "new-password")
    with pytest.raises(AuthenticationFailed):
        await users.authenticate(EMAIL, PASSWORD)
    assert (await users.authenticate(EMAIL, "new-password")).id == user.id
