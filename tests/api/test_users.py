"""User REST: who manages whom, activation, enabling logins, lists and bad input."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import jwt
from tb_rest_client.models import CustomerId, TenantId, TenantProfile, User

from tests.api.checks import JSON, NULL_UUID, PAGE, assert_error, create, tb_rest_client, total
from tests.api.conftest import Platform


async def test_activation_flow(platform: Platform) -> None:
    """One argon2-heavy test: create, activate, log in, disable, enable."""
    a = await platform.new_tenant("A")
    user = await create(
        a.admin,
        "/api/user?sendActivationMail=false",
        email="new@a.test",
        authority="CUSTOMER_USER",
        customerId={"id": a.customer_id},
        firstName="New",
    )
    user_id = user["id"]["id"]
    assert user["tenantId"]["id"] == a.tenant_id  # taken from the caller
    assert user["name"] == "new@a.test"
    # No password yet: nobody can log in.
    refused = await platform.client().post(
        "/api/auth/login", json={"username": "new@a.test", "password": "anything"}
    )
    assert_error(refused, 401, 10)
    link = await a.admin.get(f"/api/user/{user_id}/activationLink")
    assert link.status_code == 200
    assert link.headers["content-type"].startswith("text/plain")
    parsed = urlparse(link.text)
    assert parsed.path == "/api/noauth/activate"
    token = parse_qs(parsed.query)["activateToken"][0]
    anonymous = platform.client()
    opened = await anonymous.get(link.text, follow_redirects=False)  # a browser opens it
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/login/createPassword?activateToken={quote(token)}"
    unknown = await anonymous.get("/api/noauth/activate", params={"activateToken": "nope"})
    assert unknown.status_code == 409
    short = await anonymous.post(
        "/api/noauth/activate", json={"activateToken": token, "password": "x"}
    )
    assert_error(short, 400, 31)
    wrong = await anonymous.post(
        "/api/noauth/activate", json={"activateToken": "nope", "password": "long-enough"}
    )
    assert wrong.status_code in (400, 404)
    activated = await anonymous.post(
        "/api/noauth/activate", json={"activateToken": token, "password": "long-enough"}
    )
    assert activated.status_code == 200, activated.text
    pair = activated.json()
    claims = jwt.decode(pair["token"], options={"verify_signature": False})
    assert claims["userId"] == user_id
    assert claims["scopes"] == ["CUSTOMER_USER"]
    assert claims["customerId"] == a.customer_id
    # The token is used up; the link is gone.
    again = await anonymous.post(
        "/api/noauth/activate", json={"activateToken": token, "password": "long-enough"}
    )
    assert again.status_code in (400, 404)
    used = await anonymous.get(link.text, follow_redirects=False)
    assert used.status_code == 409
    assert_error(await a.admin.get(f"/api/user/{user_id}/activationLink"), 400, 31)

    shown = (await a.admin.get(f"/api/user/{user_id}")).json()["additionalInfo"]
    assert shown["userActivated"] is True
    assert shown["userCredentialsEnabled"] is True
    client = await platform.login("new@a.test", "long-enough")
    assert (await client.get("/api/auth/user")).json()["email"] == "new@a.test"
    disabled = await a.admin.post(
        f"/api/user/{user_id}/userCredentialsEnabled", params={"userCredentialsEnabled": "false"}
    )
    assert disabled.status_code == 200
    assert_error(await client.get("/api/auth/user"), 401, 10)
    assert_error(
        await anonymous.post(
            "/api/auth/login", json={"username": "new@a.test", "password": "long-enough"}
        ),
        401,
        10,
    )
    enabled = await a.admin.post(
        f"/api/user/{user_id}/userCredentialsEnabled", params={"userCredentialsEnabled": "true"}
    )
    assert enabled.status_code == 200
    assert (await client.get("/api/auth/user")).status_code == 200


async def test_who_manages_whom(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    sysadmin = await platform.sysadmin()
    admin2 = await create(
        sysadmin,
        "/api/user",
        email="admin2@a.test",
        authority="TENANT_ADMIN",
        tenantId={"id": a.tenant_id},
        customerId={"id": a.customer_id},
    )
    assert admin2["tenantId"]["id"] == a.tenant_id
    assert admin2["customerId"]["id"] == NULL_UUID
    admin2_id = admin2["id"]["id"]
    # A tenant admin cannot create a sysadmin or a user in another tenant.
    assert_error(
        await a.admin.post("/api/user", json={"email": "s@a.test", "authority": "SYS_ADMIN"}),
        403,
        20,
    )
    foreign = await a.admin.post(
        "/api/user",
        json={
            "email": "f@a.test",
            "authority": "CUSTOMER_USER",
            "tenantId": {"id": b.tenant_id},
            "customerId": {"id": b.customer_id},
        },
    )
    assert_error(foreign, 400, 31)
    no_customer = await a.admin.post(
        "/api/user", json={"email": "nc@a.test", "authority": "CUSTOMER_USER"}
    )
    assert_error(no_customer, 400, 31)
    assert_error(
        await sysadmin.post(
            "/api/user",
            json={"email": "t@x.test", "authority": "TENANT_ADMIN", "tenantId": str(uuid.uuid4())},
        ),
        400,
        31,
    )
    assert_error(
        await sysadmin.post(
            "/api/user",
            json={"email": "c@x.test", "authority": "CUSTOMER_USER", "tenantId": a.tenant_id},
        ),
        403,
        20,
    )
    # Reads and deletes follow the same rule.
    assert (await a.admin.get(f"/api/user/{admin2_id}")).status_code == 200
    assert_error(await b.admin.get(f"/api/user/{admin2_id}"), 403, 20)
    assert_error(await a.customer_user.get(f"/api/user/{admin2_id}"), 403, 20)
    assert_error(await b.admin.delete(f"/api/user/{admin2_id}"), 403, 20)
    assert_error(
        await a.customer_user.post(
            "/api/user",
            json={"email": "x@a.test", "authority": "CUSTOMER_USER", "customerId": a.customer_id},
        ),
        403,
        20,
    )
    assert_error(await a.admin.get(f"/api/user/{uuid.uuid4()}"), 404, 32)
    assert_error(await a.admin.get("/api/user/xyz"), 400, 31)

    # Updates keep authority, tenant and customer: a customer user cannot promote itself.
    me = (await a.customer_user.get("/api/auth/user")).json()
    promoted = await a.customer_user.post(
        "/api/user",
        json={**me, "authority": "TENANT_ADMIN", "customerId": {"id": NULL_UUID}, "lastName": "Z"},
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["authority"] == "CUSTOMER_USER"
    assert promoted.json()["customerId"]["id"] == a.customer_id
    assert promoted.json()["lastName"] == "Z"
    assert promoted.json()["version"] == me["version"] + 1
    assert_error(await a.customer_user.post("/api/user", json=me), 409, 35)
    moved = await a.admin.post("/api/user", json={**admin2, "tenantId": {"id": b.tenant_id}})
    assert moved.json()["tenantId"]["id"] == a.tenant_id
    taken = await a.admin.post("/api/user", json={**moved.json(), "email": me["email"].upper()})
    assert_error(taken, 400, 31)

    self_delete = await a.customer_user.delete(f"/api/user/{me['id']['id']}")
    assert_error(self_delete, 400, 31)
    assert (await a.admin.delete(f"/api/user/{admin2_id}")).status_code == 200
    assert_error(await a.admin.get(f"/api/user/{admin2_id}"), 404, 32)
    # A deleted user's email may be used again.
    await create(
        sysadmin, "/api/user", email="admin2@a.test", authority="TENANT_ADMIN", tenantId=a.tenant_id
    )


async def test_lists(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    b = await platform.new_tenant("B")
    sysadmin = await platform.sysadmin()
    for i in range(4):
        await create(
            a.admin,
            "/api/user",
            email=f"u{i}@a.test",
            authority="CUSTOMER_USER",
            customerId=a.customer_id,
        )
    # Tenant A: 1 admin + 1 customer user + 4 new ones.
    assert await total(a.admin, "/api/users") == 6
    assert await total(a.customer_user, "/api/users") == 5
    assert await total(b.admin, "/api/users") == 2
    assert await total(sysadmin, "/api/users") == 2  # the tenant admins
    customer_users = await a.admin.get(
        f"/api/customer/{a.customer_id}/users",
        params={"pageSize": 2, "page": 1, "sortProperty": "email", "sortOrder": "ASC"},
    )
    body = customer_users.json()
    assert [u["email"] for u in body["data"]] == ["u2@a.test", "u3@a.test"]
    assert body["totalElements"] == 5
    assert body["totalPages"] == 3
    assert body["hasNext"] is True
    search = await a.admin.get("/api/users", params={**PAGE, "textSearch": "U3@"})
    assert [u["email"] for u in search.json()["data"]] == ["u3@a.test"]
    assert_error(await b.admin.get(f"/api/customer/{a.customer_id}/users", params=PAGE), 403, 20)
    assert_error(
        await a.customer_user.get(f"/api/customer/{a.customer_id}/users", params=PAGE), 403, 20
    )
    admins = await sysadmin.get(f"/api/tenant/{a.tenant_id}/users", params=PAGE)
    assert [u["authority"] for u in admins.json()["data"]] == ["TENANT_ADMIN"]
    assert_error(await a.admin.get(f"/api/tenant/{a.tenant_id}/users", params=PAGE), 403, 20)
    assert_error(await a.admin.get("/api/users", params={**PAGE, "sortOrder": "random"}), 400, 31)
    assert_error(await a.admin.get("/api/users", params={"pageSize": 10**5, "page": 0}), 400, 31)


async def test_malformed_users_are_400_and_write_nothing(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    for body in (
        '{"email": "x@a.test"',
        "[]",
        '{"email": "x@a.test"}',
        '{"email": "not-an-email", "authority": "TENANT_ADMIN"}',
        '{"email": "x@a.test", "authority": "KING"}',
        '{"email": "x@a.test", "authority": "REFRESH_TOKEN"}',
        '{"email": 5, "authority": "TENANT_ADMIN"}',
        '{"email": "x@a.test", "authority": "CUSTOMER_USER", "customerId": {"id": "bad"}}',
    ):
        response = await a.admin.post("/api/user", content=body, headers=JSON)
        assert_error(response, 400, 31)
    assert await total(a.admin, "/api/users") == 2
    bad_activate = await platform.client().post(
        "/api/noauth/activate", content='{"activateToken": ""}', headers=JSON
    )
    assert_error(bad_activate, 400, 31)
    assert_error(
        await a.admin.post(
            f"/api/user/{uuid.uuid4()}/userCredentialsEnabled",
            params={"userCredentialsEnabled": "maybe"},
        ),
        400,
        31,
    )


async def test_tb_rest_client_users_and_tenant_profiles(platform: Platform) -> None:
    a = await platform.new_tenant("A")
    async with tb_rest_client(platform, a.admin) as tb:
        user = await tb(
            "save_user",
            User(
                email="client@a.test",
                authority="CUSTOMER_USER",
                customer_id=CustomerId(a.customer_id, "CUSTOMER"),
                first_name="Client",
            ),
            send_activation_mail=False,
        )
        assert user.id.entity_type == "USER"
        assert user.tenant_id.id == a.tenant_id
        link = await tb("get_activation_link", user.id)
        assert "/api/noauth/activate?activateToken=" in link
        assert (await tb("get_user_by_id", user.id)).email == "client@a.test"
        customer_users = await tb(
            "get_customer_users", CustomerId(a.customer_id, "CUSTOMER"), 10, 0
        )
        assert "client@a.test" in [u.email for u in customer_users.data]
        assert (await tb("get_users", 10, 0)).total_elements == 3
        await tb("set_user_credentials_enabled", user.id, False)
    sysadmin = await platform.sysadmin()
    async with tb_rest_client(platform, sysadmin) as tb:
        saved = await tb("save_tenant_profile", TenantProfile(name="Client Profile"))
        assert saved.id.entity_type == "TENANT_PROFILE"
        profiles = await tb("get_tenant_profiles", 10, 0)
        assert sorted(p.name for p in profiles.data) == ["Client Profile", "Default"]
        infos = await tb("get_tenant_profile_infos", 10, 0)
        assert sorted(p.name for p in infos.data) == ["Client Profile", "Default"]
        admins = await tb("get_tenant_admins", TenantId(a.tenant_id, "TENANT"), 10, 0)
        assert [u.authority for u in admins.data] == ["TENANT_ADMIN"]


def _login_state(user: dict[str, Any]) -> tuple[bool, bool]:
    info = user["additionalInfo"]
    return info["userCredentialsEnabled"], info["userActivated"]


async def test_user_json_says_whether_sign_in_is_enabled(platform: Platform) -> None:
    """additionalInfo carries userCredentialsEnabled/userActivated read from the credentials."""
    a = await platform.new_tenant("A")
    pending = await create(
        a.admin,
        "/api/user",
        email="pending@a.test",
        authority="CUSTOMER_USER",
        customerId={"id": a.customer_id},
        additionalInfo={"description": "night shift"},
    )
    pending_id = pending["id"]["id"]
    assert _login_state(pending) == (False, False)
    assert pending["additionalInfo"]["description"] == "night shift"
    me = (await a.customer_user.get("/api/auth/user")).json()
    me_id = me["id"]["id"]
    listed = (await a.admin.get(f"/api/customer/{a.customer_id}/users", params=PAGE)).json()
    by_id = {u["id"]["id"]: _login_state(u) for u in listed["data"]}
    assert by_id == {pending_id: (False, False), me_id: (True, True)}

    # Disabling shows in every view of the user.
    disabled = await a.admin.post(
        f"/api/user/{me_id}/userCredentialsEnabled", params={"userCredentialsEnabled": "false"}
    )
    assert disabled.status_code == 200
    assert _login_state((await a.admin.get(f"/api/user/{me_id}")).json()) == (False, True)
    everyone = (await a.admin.get("/api/users", params=PAGE)).json()["data"]
    assert {u["id"]["id"]: _login_state(u) for u in everyone}[me_id] == (False, True)

    # The flags are not stored: saving them back changes no login.
    body = {**pending, "additionalInfo": {"userCredentialsEnabled": True, "userActivated": True}}
    saved = await create(a.admin, "/api/user", **body)
    assert _login_state(saved) == (False, False)
    assert (
        "userCredentialsEnabled"
        not in (await platform.core.users.get(uuid.UUID(pending_id))).additional_info
    )
