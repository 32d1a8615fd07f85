"""Provisioning with ThingsBoard's own SDKs, unchanged, against a real node (checklist 23, 36).

``TBDeviceMqttClient.provision`` (MQTT 3.1.1, user ``provision``) and
``TBHTTPDevice.provision`` (``POST /api/v1/provision``) create a device, and the
credentials they get back connect.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from tb_device_http import TBHTTPDevice, TBProvisionFailure
from tb_device_mqtt import TBDeviceMqttClient

from industryos.telemetry.kv import AttributeScope
from tests.conftest import DatabaseFactory
from tests.devices.provision_profiles import find_device, provision_profile, secret_of
from tests.support.tb_client import leave
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node

SDK_PAHO_V1 = pytest.mark.filterwarnings(
    "ignore:Callback API version 1 is deprecated:DeprecationWarning"
)
"""The SDK's ``ProvisionClient`` builds paho with the deprecated callback API (its issue)."""


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


@SDK_PAHO_V1
def test_mqtt_sdk_provisions_a_device_whose_token_connects(live: LiveNode) -> None:
    """Checklist 23: SUCCESS with a token; the device exists, is provisioned and connects."""
    profile = provision_profile(live)
    name = f"sdk-mqtt-{uuid.uuid4().hex[:8]}"
    credentials = TBDeviceMqttClient.provision(
        "127.0.0.1",
        profile.provision_device_key,
        secret_of(profile),
        port=live.mqtt_port,
        device_name=name,
    )
    assert credentials is not None and credentials["status"] == "SUCCESS"
    assert credentials["credentialsType"] == "ACCESS_TOKEN"
    token = credentials["credentialsValue"]
    device = find_device(live, name)
    assert device.device_profile_id == profile.id and device.type == profile.name
    server = live.attributes(device, AttributeScope.SERVER_SCOPE)
    assert server["provisionState"] == "provisioned"

    client = TBDeviceMqttClient("127.0.0.1", port=live.mqtt_port, username=token)
    client.connect()
    try:
        live.wait_for(lambda: client.is_connected())
        client.send_telemetry({"provisioned": 1}).get()
        assert live.wait_for(lambda: live.latest(device).get("provisioned"))
    finally:
        leave(client)


@SDK_PAHO_V1
def test_mqtt_sdk_basic_credentials_connect(live: LiveNode) -> None:
    """Checklist 25 with the SDK: MQTT_BASIC credentials echoed back, and they authenticate."""
    profile = provision_profile(live)
    suffix = uuid.uuid4().hex[:8]
    credentials = TBDeviceMqttClient.provision(
        "127.0.0.1",
        profile.provision_device_key,
        secret_of(profile),
        port=live.mqtt_port,
        device_name=f"sdk-basic-{suffix}",
        client_id=f"cid-{suffix}",
        username=f"user-{suffix}",
        password="pw",
    )
    assert credentials is not None and credentials["credentialsType"] == "MQTT_BASIC"
    assert credentials["credentialsValue"] == {
        "clientId": f"cid-{suffix}",
        "userName": f"user-{suffix}",
        "password": "pw",
    }
    client = TBDeviceMqttClient(
        "127.0.0.1",
        port=live.mqtt_port,
        username=f"user-{suffix}",
        password="pw",
        client_id=f"cid-{suffix}",
    )
    client.connect()
    try:
        assert live.wait_for(lambda: client.is_connected())
    finally:
        leave(client)


@SDK_PAHO_V1
def test_mqtt_sdk_wrong_secret_gets_no_credentials(live: LiveNode) -> None:
    """The SDK accepts only SUCCESS: NOT_FOUND leaves it without credentials."""
    profile = provision_profile(live)
    credentials = TBDeviceMqttClient.provision(
        "127.0.0.1",
        profile.provision_device_key,
        "wrong-secret",
        port=live.mqtt_port,
        device_name=f"sdk-wrong-{uuid.uuid4().hex[:8]}",
    )
    assert credentials is None


def test_http_sdk_provisions_a_device_whose_token_connects(live: LiveNode) -> None:
    """Checklist 36 with the SDK: ``TBHTTPDevice.provision`` returns a connected device."""
    profile = provision_profile(live)
    name = f"sdk-http-{uuid.uuid4().hex[:8]}"
    host = f"http://127.0.0.1:{live.node.http_port}"
    client = TBHTTPDevice.provision(host, name, profile.provision_device_key, secret_of(profile))
    assert client.connect()
    client.send_telemetry({"via": "http"}, queued=False)
    device = find_device(live, name)
    assert live.wait_for(lambda: live.latest(device).get("via"))


def test_http_sdk_refused_provisioning_raises(live: LiveNode) -> None:
    """A second create with the same name is FAILURE (200 with the status): the SDK raises."""
    profile = provision_profile(live)
    name = f"sdk-twice-{uuid.uuid4().hex[:8]}"
    host = f"http://127.0.0.1:{live.node.http_port}"
    TBHTTPDevice.provision(host, name, profile.provision_device_key, secret_of(profile))
    with pytest.raises(TBProvisionFailure) as refused:
        TBHTTPDevice.provision(host, name, profile.provision_device_key, secret_of(profile))
    assert "FAILURE" in str(refused.value)
