"""A live node per test module and engine for the HTTP device API tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import DatabaseFactory
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


@pytest.fixture
def base_url(live: LiveNode) -> str:
    """The node's HTTP root, e.g. ``http://127.0.0.1:40123``."""
    return f"http://127.0.0.1:{live.node.http_port}"


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client on the node (no device SDK)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def device(live: LiveNode) -> tuple[object, str]:
    """A fresh device of the test tenant and its access token."""
    token = f"http-{uuid.uuid4().hex[:12]}"
    return live.create_device(f"dev-{token}", token=token), token
