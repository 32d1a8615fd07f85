"""Password hashing (argon2id) kept behind a few functions so the policy lives in one place.

One hash or check takes ~0.13 s of CPU and 64 MiB: on the event loop it would stall every
device for that long, so services call the ``*_async`` forms, which run it in a small pool
of its own threads (argon2 releases the GIL). The pool is bounded so that a burst of logins
costs at most ``HASH_WORKERS`` times 64 MiB and never starves the loop's default executor.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

HASH_WORKERS = 2
"""Hashes computed at once (the development machines have two cores)."""

_hasher = PasswordHasher()
_pool = ThreadPoolExecutor(HASH_WORKERS, thread_name_prefix="password-hash")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (blocks for the whole hash: not on the event loop)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``; never raises on bad input."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    """:func:`hash_password` off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_pool, hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """:func:`verify_password` off the event loop (no thread for an empty hash)."""
    if not password_hash:
        return False
    return await asyncio.get_running_loop().run_in_executor(
        _pool, verify_password, password_hash, password
    )
