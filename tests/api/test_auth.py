"""``/api/auth/*``: login, tokens and their claims, refresh, logout, password change, lockout."""

from __future__ import annotations

import time

import jwt
import pytest

from industryos.api.tokens import TokenIssuer
from industryos.entities.models import Authority, User
from tests.api.conftest import SYSADMIN, TEST_SECRET, Platform


async def test_login_returns_jwt_pair_with_contract_claims(platform: Platform) -> None:
    response = await platform.client().post(
        "/api/auth/login", json={"username": SYSADMIN[0], "password": SYSADMIN[1]}
    )
    assert response.status_code == 200
    pair = response.json()
    access = jwt.decode(pair["token"], options={"verify_signature": False})
    refresh = jwt.decode(pair["refreshToken"], options={"verify_signature": False})
    for claim in ("exp", "sub", "scopes", "userId", "tenantId", "iat", "iss", "sessionId"):
        assert claim in access
    assert access["scopes"] == ["SYS_ADMIN"]
    assert access["sub"] == SYSADMIN[0]
    assert refresh["scopes"] == ["REFRESH_TOKEN"]
    assert refresh["sessionId"] == access["sessionId"]


async def test_bad_password_is_401_code_10(platform: Platform) -> None:
    response = await platform.client().post(
        "/api/auth/login", json={"username": SYSADMIN[0], "password": "wrong"}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["errorCode"] == 10
    assert body["status"] == 401
    assert "timestamp" in body


async def test_unknown_user_is_401(platform: Platform) -> None:
    response = await platform.client().post(
        "/api/auth/login", json={"username": "nobody@x.y", "password": "x"}
    )
    assert response.status_code == 401
    assert response.json()["errorCode"] == 10


async def test_expired_token_is_401_code_11(platform: Platform) -> None:
    user = await platform.core.users.find_by_email(SYSADMIN[0])
    assert user is not None
    issuer = TokenIssuer(TEST_SECRET, "industryos.io", access_ttl_s=1, refresh_ttl_s=1)
    pair = issuer.issue(user)
    claims = jwt.decode(pair.token, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 10
    expired = jwt.encode(claims, TEST_SECRET, algorithm="HS512")
    response = await platform.client(expired).get("/api/auth/user")
    assert response.status_code == 401
    assert response.json()["errorCode"] == 11


async def test_both_authorization_headers_work(platform: Platform) -> None:
    pair = (
        await platform.client().post(
            "/api/auth/login", json={"username": SYSADMIN[0], "password": SYSADMIN[1]}
        )
    ).json()
    client = platform.client()
    for header in ("X-Authorization", "Authorization"):
        response = await client.get("/api/auth/user", headers={header: f"Bearer {pair['token']}"})
        assert response.status_code == 200, header
        assert response.json()["email"] == SYSADMIN[0]
        assert response.json()["authority"] == "SYS_ADMIN"
    assert (await client.get("/api/auth/user")).status_code == 401


async def test_refresh_issues_new_pair_and_refuses_access_token(platform: Platform) -> None:
    pair = (
        await platform.client().post(
            "/api/auth/login", json={"username": SYSADMIN[0], "password": SYSADMIN[1]}
        )
    ).json()
    client = platform.client()
    refreshed = await client.post("/api/auth/token", json={"refreshToken": pair["refreshToken"]})
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"token", "refreshToken"}
    assert (
        await platform.client(refreshed.json()["token"]).get("/api/auth/user")
    ).status_code == 200
    refused = await client.post("/api/auth/token", json={"refreshToken": pair["token"]})
    assert refused.status_code == 401
    # A refresh token is not an access token.
    assert (await platform.client(pair["refreshToken"]).get("/api/auth/user")).status_code == 401


async def test_logout_invalidates_access_and_refresh_tokens(platform: Platform) -> None:
    pair = (
        await platform.client().post(
            "/api/auth/login", json={"username": SYSADMIN[0], "password": SYSADMIN[1]}
        )
    ).json()
    client = platform.client(pair["token"])
    assert (await client.post("/api/auth/logout")).status_code == 200
    assert (await client.get("/api/auth/user")).status_code == 401
    refused = await platform.client().post(
        "/api/auth/token", json={"refreshToken": pair["refreshToken"]}
    )
    assert refused.status_code == 401


async def test_change_password_invalidates_older_tokens(platform: Platform) -> None:
    await platform.core.users.create(
        User(email="pw@test.local", authority=Authority.SYS_ADMIN), "first-pw"
    )
    old = await platform.login("pw@test.local", "first-pw")
    wrong = await old.post(
        "/api/auth/changePassword", json={"currentPassword": "nope", "newPassword": "second-pw"}
    )
    assert wrong.status_code == 400
    changed = await old.post(
        "/api/auth/changePassword",
        json={"currentPassword": "first-pw", "newPassword": "second-pw"},
    )
    assert changed.status_code == 200
    assert (await old.get("/api/auth/user")).status_code == 401
    assert (await platform.client(changed.json()["token"]).get("/api/auth/user")).status_code == 200
    await platform.login("pw@test.local", "second-pw")


async def test_repeated_failures_lock_the_account(platform: Platform) -> None:
    await platform.core.users.create(
        User(email="lock@test.local", authority=Authority.SYS_ADMIN), "right-pw"
    )
    client = platform.client()
    for _ in range(5):
        response = await client.post(
            "/api/auth/login", json={"username": "lock@test.local", "password": "bad"}
        )
        assert response.status_code == 401
    locked = await client.post(
        "/api/auth/login", json={"username": "lock@test.local", "password": "right-pw"}
    )
    assert locked.status_code == 401
    assert "locked" in locked.json()["message"]


@pytest.mark.parametrize("body", ['{"username": "a"', "[]", '{"username": 5}'])
async def test_malformed_login_is_400(platform: Platform, body: str) -> None:
    response = await platform.client().post(
        "/api/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == 31
