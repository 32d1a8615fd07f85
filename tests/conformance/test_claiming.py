"""Claiming end to end (checklist 22): tb-mqtt-client ``claim()``, then a customer user over REST.

A real node on free ports (both engines): the device announces its secret over MQTT, the
customer user logs in over HTTP and claims the device by name within ``durationMs``;
a wrong secret and an expired claim are refused.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tb_device_mqtt import TBDeviceMqttClient

from industryos.entities.ids import NULL_UUID
from industryos.entities.models import Authority, Customer, User
from tests.conftest import DatabaseFactory
from tests.support.tb_client import leave
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveNode]:
    """A started node (both engines) with a tenant admin; stopped after the module."""
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url(request.param))
    yield node
    node.stop()


@pytest.fixture(scope="module")
def customer_user(live: LiveNode) -> Iterator[tuple[Customer, httpx.Client]]:
    """A customer of the test tenant and a REST client logged in as its user."""
    assert live.admin is not None
    customer: Customer = live.run(live.core.customers.save(live.admin, Customer(title="Buyer")))
    email = f"buyer-{uuid.uuid4().hex[:8]}@claims.test"
    user = User(
        email=email,
        authority=Authority.CUSTOMER_USER,
        tenant_id=live.admin.tenant_id,
        customer_id=customer.id,
    )
    live.run(live.core.users.create(user, "buyer-password"))
    with httpx.Client(base_url=f"http://127.0.0.1:{live.node.http_port}", timeout=30) as http:
        login = http.post("/api/auth/login", json={"username": email, "password": "buyer-password"})
        assert login.status_code == 200, login.text
        http.headers["X-Authorization"] = f"Bearer {login.json()['token']}"
        yield customer, http


def announce(live: LiveNode, secret: str, duration_ms: int) -> Any:
    """A device that connects with the SDK, sends ``claim(secret, duration)`` and leaves."""
    token = f"claim-{uuid.uuid4().hex[:12]}"
    device = live.create_device(f"dev-{token}", token=token)
    client = TBDeviceMqttClient("127.0.0.1", live.mqtt_port, username=token)
    client.connect()
    try:
        live.wait_for(lambda: client.is_connected())
        assert client.claim(secret, duration_ms).get() == 0  # PUBACK 0 once recorded
    finally:
        leave(client)
    return device


def customer_of(live: LiveNode, device: Any) -> Any:
    assert live.admin is not None
    return live.run(live.core.devices.get(live.admin, device.id)).customer_id


def test_device_claim_then_customer_claims_with_the_secret(
    live: LiveNode, customer_user: tuple[Customer, httpx.Client]
) -> None:
    customer, http = customer_user
    device = announce(live, "open-sesame", 60_000)

    response = http.post(
        f"/api/customer/device/{device.name}/claim", json={"secretKey": "open-sesame"}
    )

    assert response.status_code == 200, response.text
    assert response.json()["response"] == "SUCCESS"
    assert customer_of(live, device) == customer.id


def test_wrong_secret_is_refused(
    live: LiveNode, customer_user: tuple[Customer, httpx.Client]
) -> None:
    _, http = customer_user
    device = announce(live, "right", 60_000)
    response = http.post(f"/api/customer/device/{device.name}/claim", json={"secretKey": "wrong"})
    assert (response.status_code, response.json()) == (400, "FAILURE")
    assert customer_of(live, device) == NULL_UUID


def test_expired_claim_is_refused(
    live: LiveNode, customer_user: tuple[Customer, httpx.Client]
) -> None:
    _, http = customer_user
    device = announce(live, "brief", 1)
    time.sleep(0.05)  # let the 1 ms claim lapse
    response = http.post(f"/api/customer/device/{device.name}/claim", json={"secretKey": "brief"})
    assert (response.status_code, response.json()) == (400, "FAILURE")
    assert customer_of(live, device) == NULL_UUID
