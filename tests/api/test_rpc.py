"""REST RPC status codes (v1 and v2), isolation, and the persistent RPC lifecycle, on a
real node per engine; the device is the HTTP device API's long poll (spec platform-api
§3.7, §9 items 19-20; device-api §3)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from industryos.entities.access import Caller
from industryos.entities.ids import now_ms
from industryos.entities.models import Authority, Customer, Device, Tenant, User
from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node

PASSWORD = "password1"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveNode]:
    node = start_live_node(
        tmp_path_factory.mktemp("node"),
        database_factory.new_url(request.param),
        rpc_min_timeout_ms=300,
    )
    yield node
    node.stop()


def _base(live: LiveNode) -> str:
    return f"http://127.0.0.1:{live.node.http_port}"


async def _login(
    live: LiveNode, email: str, password: str, client: httpx.AsyncClient | None = None
) -> httpx.AsyncClient:
    client = client or httpx.AsyncClient(base_url=_base(live), timeout=20)
    answer = await client.post("/api/auth/login", json={"username": email, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["X-Authorization"] = f"Bearer {answer.json()['token']}"
    return client


async def _tenant(live: LiveNode) -> tuple[Caller, str, str]:
    """A new tenant: its admin caller, the admin's and a customer user's email."""
    core = live.core
    tag = uuid.uuid4().hex[:8]

    async def create() -> tuple[Caller, str, str]:
        root_user = await core.users.create(
            User(email=f"root-{tag}@rpc.test", authority=Authority.SYS_ADMIN), PASSWORD
        )
        root = Caller(root_user.id, root_user.email, Authority.SYS_ADMIN)
        tenant = await core.tenants.save(root, Tenant(title=f"T {tag}"))
        admin_user = await core.users.create(
            User(
                email=f"admin-{tag}@rpc.test",
                authority=Authority.TENANT_ADMIN,
                tenant_id=tenant.id,
            ),
            PASSWORD,
        )
        admin = Caller(admin_user.id, admin_user.email, Authority.TENANT_ADMIN, tenant.id)
        customer = await core.customers.save(admin, Customer(title=f"C {tag}"))
        await core.users.create(
            User(
                email=f"user-{tag}@rpc.test",
                authority=Authority.CUSTOMER_USER,
                tenant_id=tenant.id,
                customer_id=customer.id,
            ),
            PASSWORD,
        )
        return admin, admin_user.email, f"user-{tag}@rpc.test"

    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(create(), live.loop))


async def _on_node(live: LiveNode, coro: Any) -> Any:
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, live.loop))


@pytest.fixture
async def tenant(live: LiveNode) -> AsyncIterator[tuple[Caller, httpx.AsyncClient]]:
    admin, email, _ = await _tenant(live)
    client = await _login(live, email, PASSWORD)
    yield admin, client
    await client.aclose()


async def _device(live: LiveNode, admin: Caller) -> tuple[Device, str]:
    token = uuid.uuid4().hex
    device = await _on_node(
        live, live.core.devices.save(admin, Device(name=f"d-{token[:8]}"), access_token=token)
    )
    return device, token


async def _poll_rpc(live: LiveNode, device: Device, token: str) -> asyncio.Task[httpx.Response]:
    """Start a device long poll for an RPC and wait until it is registered."""
    device_client = httpx.AsyncClient(base_url=_base(live), timeout=20)
    task = asyncio.create_task(device_client.get(f"/api/v1/{token}/rpc", params={"timeout": 5000}))
    task.add_done_callback(lambda _: asyncio.ensure_future(device_client.aclose()))
    sessions = live.node.devices.sessions  # type: ignore[union-attr]
    device_id = device.id
    assert device_id is not None
    for _ in range(200):
        if live.call(lambda: any(s.wants_rpc for s in sessions.sessions_of(device_id))):
            return task
        await asyncio.sleep(0.02)
    raise AssertionError("long poll not registered")


async def test_never_delivered_is_504_v2_and_409_v1(
    live: LiveNode, tenant: tuple[Caller, httpx.AsyncClient]
) -> None:
    admin, client = tenant
    device, _ = await _device(live, admin)
    body = {"method": "m", "params": {}, "timeout": 100}
    assert (await client.post(f"/api/rpc/twoway/{device.id}", json=body)).status_code == 504
    assert (await client.post(f"/api/rpc/oneway/{device.id}", json=body)).status_code == 504
    legacy = await client.post(f"/api/plugins/rpc/twoway/{device.id}", json=body)
    assert (legacy.status_code, legacy.content) == (409, b"")
    assert (await client.post(f"/api/plugins/rpc/oneway/{device.id}", json=body)).status_code == 409


async def test_delivered_unanswered_is_504_v2_and_408_v1(
    live: LiveNode, tenant: tuple[Caller, httpx.AsyncClient]
) -> None:
    admin, client = tenant
    device, token = await _device(live, admin)
    for path, status in (("/api/rpc/twoway/", 504), ("/api/plugins/rpc/twoway/", 408)):
        poll = await _poll_rpc(live, device, token)
        answer = await client.post(path + str(device.id), json={"method": "slow", "timeout": 1})
        assert answer.status_code == status
        delivered = await poll
        assert delivered.json()["method"] == "slow"


async def test_answered_reply_is_the_body_and_non_json_is_406(
    live: LiveNode, tenant: tuple[Caller, httpx.AsyncClient]
) -> None:
    admin, client = tenant
    device, token = await _device(live, admin)
    replies = [b'{"v":[1,2]}', b"not json"]
    async with httpx.AsyncClient(base_url=_base(live), timeout=20) as device_client:
        answers = []
        for reply in replies:
            poll = await _poll_rpc(live, device, token)
            call = asyncio.create_task(
                client.post(f"/api/rpc/twoway/{device.id}", json={"method": "get", "timeout": 5000})
            )
            request = (await poll).json()
            await device_client.post(f"/api/v1/{token}/rpc/{request['id']}", content=reply)
            answers.append(await call)
    assert (answers[0].status_code, answers[0].json()) == (200, {"v": [1, 2]})
    assert answers[1].status_code == 406


async def test_other_tenant_and_other_customer_are_refused(
    live: LiveNode, tenant: tuple[Caller, httpx.AsyncClient]
) -> None:
    admin, _ = tenant
    device, _ = await _device(live, admin)
    _, other_admin_email, other_user_email = await _tenant(live)
    body = {"method": "m", "timeout": 100}
    async with httpx.AsyncClient(base_url=_base(live), timeout=20) as other:
        await _login(live, other_admin_email, PASSWORD, other)
        assert (await other.post(f"/api/rpc/twoway/{device.id}", json=body)).status_code == 403
        missing = await other.post(f"/api/rpc/twoway/{uuid.uuid4()}", json=body)
        assert missing.status_code == 404
        stored = await tenant[1].post(
            f"/api/rpc/oneway/{device.id}", json={**body, "persistent": True}
        )
        rpc_id = stored.json()["rpcId"]
        assert (await other.get(f"/api/rpc/persistent/{rpc_id}")).status_code == 403
        assert (await other.delete(f"/api/rpc/persistent/{rpc_id}")).status_code == 403
        page = await other.get(
            f"/api/rpc/persistent/device/{device.id}", params={"pageSize": 5, "page": 0}
        )
        assert page.status_code == 403
    async with httpx.AsyncClient(base_url=_base(live), timeout=20) as user:
        await _login(live, other_user_email, PASSWORD, user)
        assert (await user.post(f"/api/rpc/twoway/{device.id}", json=body)).status_code == 403


async def test_customer_user_reaches_own_customer_device_only(live: LiveNode) -> None:
    admin, _, user_email = await _tenant(live)
    device, _ = await _device(live, admin)
    user_record = await _on_node(live, live.core.users.find_by_email(user_email))
    body = {"method": "m", "timeout": 100}
    async with httpx.AsyncClient(base_url=_base(live), timeout=20) as user:
        await _login(live, user_email, PASSWORD, user)
        assert (await user.post(f"/api/rpc/twoway/{device.id}", json=body)).status_code == 403
        await _on_node(
            live, live.core.devices.assign_to_customer(admin, device.id, user_record.customer_id)
        )
        assert (await user.post(f"/api/rpc/twoway/{device.id}", json=body)).status_code == 504


async def test_persistent_rpc_lifecycle_expiry_and_delete(
    live: LiveNode, tenant: tuple[Caller, httpx.AsyncClient]
) -> None:
    admin, client = tenant
    device, _ = await _device(live, admin)
    sent = await client.post(
        f"/api/rpc/twoway/{device.id}",
        json={"method": "later", "persistent": True, "expirationTime": now_ms() + 3_000},
    )
    assert sent.status_code == 200
    rpc_id = sent.json()["rpcId"]
    first = (await client.get(f"/api/rpc/persistent/{rpc_id}")).json()
    assert first["status"] == "QUEUED"
    assert first["request"]["body"] == {"method": "later", "params": "{}"}
    for _ in range(300):  # expiry 3 s away: room for a loaded machine before the first read
        found = (await client.get(f"/api/rpc/persistent/{rpc_id}")).json()
        if found["status"] == "EXPIRED":
            break
        await asyncio.sleep(0.05)
    assert found["status"] == "EXPIRED"
    page = (
        await client.get(
            f"/api/rpc/persistent/device/{device.id}",
            params={"pageSize": 5, "page": 0, "rpcStatus": "EXPIRED"},
        )
    ).json()
    assert [item["id"]["id"] for item in page["data"]] == [rpc_id]
    queued = await client.get(
        f"/api/rpc/persistent/device/{device.id}",
        params={"pageSize": 5, "page": 0, "rpcStatus": "QUEUED"},
    )
    assert queued.json()["totalElements"] == 0
    bad = await client.get(
        f"/api/rpc/persistent/device/{device.id}",
        params={"pageSize": 5, "page": 0, "rpcStatus": "NOPE"},
    )
    assert bad.status_code == 400
    assert (await client.delete(f"/api/rpc/persistent/{rpc_id}")).status_code == 200
    assert (await client.get(f"/api/rpc/persistent/{rpc_id}")).status_code == 404


async def test_bad_body_is_400(live: LiveNode, tenant: tuple[Caller, httpx.AsyncClient]) -> None:
    admin, client = tenant
    device, _ = await _device(live, admin)
    for body in (b"{", b"[]", b'{"params":{}}', b'{"method":"m","timeout":"x"}'):
        answer = await client.post(f"/api/rpc/twoway/{device.id}", content=body)
        assert answer.status_code == 400, body
