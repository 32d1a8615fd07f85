"""Password hashing: the off-loop forms agree with the blocking ones and never raise."""

from __future__ import annotations

import pytest

from industryos.entities.passwords import (
    hash_password,
    hash_password_async,
    verify_password,
    verify_password_async,
)


async def test_async_hash_verifies_both_ways() -> None:
    hashed = await hash_password_async("s3cret-pw")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "s3cret-pw")
    assert await verify_password_async(hashed, "s3cret-pw")
    assert await verify_password_async(hash_password("other-pw"), "other-pw")


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$broken"])
async def test_unusable_hash_is_a_mismatch(stored: str | None) -> None:
    assert await verify_password_async(stored, "anything") is False
    assert verify_password(stored, "anything") is False


async def test_wrong_password_is_a_mismatch() -> None:
    hashed = await hash_password_async("right-pw")
    assert await verify_password_async(hashed, "wrong-pw") is False


@pytest.mark.usefixtures("production_password_cost")
def test_production_hashes_are_argon2id_at_64_mib_and_3_passes() -> None:
    """The suite hashes cheaply (tests/conftest.py); the node's own hasher does not."""
    assert hash_password("s3cret-pw").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
