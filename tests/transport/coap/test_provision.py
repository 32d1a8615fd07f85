"""CoAP ``POST /api/v1/provision`` with aiocoap (spec §4): 2.01 + JSON, or 4.00 + JSON."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from aiocoap import Message
from aiocoap.numbers.codes import Code

from tests.conftest import DatabaseFactory
from tests.devices.provision_profiles import find_device, provision_profile, request
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveNode]:
    """A started node (both engines); its CoAP listener is on an ephemeral port."""
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url(request.param))
    yield node
    node.stop()


@pytest.fixture
def coap_port(live: LiveNode) -> int:
    """The node's bound CoAP port."""
    assert live.node.devices is not None
    port = live.node.devices.coap.port
    assert port is not None
    return port


async def _provision(client: Any, port: int, payload: bytes) -> Message:
    uri = f"coap://127.0.0.1:{port}/api/v1/provision"
    response: Message = await client.request(
        Message(code=Code.POST, uri=uri, payload=payload)
    ).response
    return response


async def test_success_is_created_with_a_token_that_works(
    live: LiveNode, client: Any, coap_port: int
) -> None:
    profile = provision_profile(live)
    name = f"coap-prov-{uuid.uuid4().hex[:8]}"
    answer = await _provision(client, coap_port, orjson.dumps(request(profile, deviceName=name)))
    assert answer.code == Code.CREATED
    body = orjson.loads(answer.payload)
    assert body["status"] == "SUCCESS" and body["credentialsType"] == "ACCESS_TOKEN"
    assert find_device(live, name).device_profile_id == profile.id
    uri = f"coap://127.0.0.1:{coap_port}/api/v1/{body['credentialsValue']}/telemetry"
    sent = await client.request(Message(code=Code.POST, uri=uri, payload=b'{"t":1}')).response
    assert sent.code == Code.CREATED


async def test_refusals_are_bad_request_with_the_status(
    live: LiveNode, client: Any, coap_port: int
) -> None:
    profile = provision_profile(live)
    wrong = {**request(profile, deviceName="w"), "provisionDeviceSecret": "nope"}
    answer = await _provision(client, coap_port, orjson.dumps(wrong))
    assert answer.code == Code.BAD_REQUEST
    assert orjson.loads(answer.payload)["status"] == "NOT_FOUND"
    name = f"coap-twice-{uuid.uuid4().hex[:8]}"
    first = await _provision(client, coap_port, orjson.dumps(request(profile, deviceName=name)))
    assert first.code == Code.CREATED
    again = await _provision(client, coap_port, orjson.dumps(request(profile, deviceName=name)))
    assert again.code == Code.BAD_REQUEST
    assert orjson.loads(again.payload)["status"] == "FAILURE"
    malformed = await _provision(client, coap_port, b"{not json")
    assert malformed.code == Code.BAD_REQUEST
