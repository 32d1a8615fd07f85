"""A live node per test module and engine, and paho clients playing a gateway."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from industryos.entities.models import Device
from tests.conftest import DatabaseFactory
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node
from tests.transport.mqtt.gateway.gatewayclient import GatewayClient


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


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while GatewayClient.opened:
        GatewayClient.opened.pop().close()


GatewayFactory = Callable[..., tuple[Device, GatewayClient]]


@pytest.fixture
def gateway(live: LiveNode) -> GatewayFactory:
    """``gateway(v5=True, connect=True)`` → a new gateway device and a paho client for it."""

    def make(*, v5: bool = True, connect: bool = True) -> tuple[Device, GatewayClient]:
        token = f"gw-{uuid.uuid4().hex[:12]}"
        device = live.create_device(f"Gateway {token}", token=token, gateway=True)
        client = GatewayClient(live.mqtt_port, token, v5=v5)
        if connect:
            client.start()
        return device, client

    return make
