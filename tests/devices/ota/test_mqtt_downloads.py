"""OTA over MQTT against a live node: the real SDK and raw chunk requests (checklist 27-29).

``tb-mqtt-client`` 1.13.14 (the project's venv) verifies its checksum reliably; 1.13.13,
which the gateway pins, fails one check in three on purpose (spec device-api §2.13, §9),
so the SDK test runs on 1.13.14 and asserts that version.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from tb_device_mqtt import TBDeviceMqttClient

from industryos.devices.ota.wire import OtaPackageType
from industryos.entities.models import Device
from industryos.telemetry.kv import AttributeScope
from tests.conftest import DatabaseFactory
from tests.devices.ota.livepackages import MIB, assign, create_package, firmware_bytes
from tests.support.tb_client import leave
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node
from tests.transport.mqtt.pahoclient import Paho


@pytest.fixture(scope="module")
def live(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveNode]:
    """One node on SQLite (the REST tests cover both engines)."""
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url("sqlite"))
    yield node
    node.stop()


@pytest.fixture
def paho() -> Iterator[list[Paho]]:
    clients: list[Paho] = []
    yield clients
    for client in clients:
        client.close()


def _device(live: LiveNode) -> tuple[str, Device]:
    token = f"ota-{uuid.uuid4().hex[:12]}"
    return token, live.create_device(f"dev-{token}", token=token)


def test_sdk_downloads_1_mib_verifies_checksum_and_reports_updated(
    live: LiveNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checklist 29: fw_* set together; ``get_firmware_update()`` ends in UPDATED."""
    assert importlib.metadata.version("tb-mqtt-client") == "1.13.14"
    monkeypatch.chdir(tmp_path)  # the SDK's default handler saves the image as ./<fw_title>
    data = firmware_bytes(MIB)
    package = create_package(live, data, title="sdk-fw", version="v2.0")
    token, device = _device(live)
    device = assign(live, device, package, "firmware_id")
    shared = live.attributes(device, AttributeScope.SHARED_SCOPE)
    assert shared["fw_size"] == MIB and shared["fw_checksum_algorithm"] == "SHA256"
    client = TBDeviceMqttClient("127.0.0.1", live.mqtt_port, username=token, chunk_size=65536)
    client.connect()
    try:
        client.get_firmware_update()
        latest = live.wait_for(
            lambda: (
                (points := live.latest(device))
                and points.get("fw_state")
                and points["fw_state"].value == "UPDATED"
                and points
            ),
            timeout=60,
        )
    finally:
        leave(client)
    assert latest["current_fw_title"].value == "sdk-fw"
    assert latest["current_fw_version"].value == "v2.0"
    saved = (tmp_path / "sdk-fw").read_bytes()
    assert hashlib.sha256(saved).hexdigest() == package.checksum
    status = live.run(live.core.ota.status.device(live.admin, device.id))
    assert status["FIRMWARE"]["state"] == "UPDATED"


def test_chunk_of_requested_size_and_past_the_end(live: LiveNode, paho: list[Paho]) -> None:
    """Checklist 27: "1024" → exactly 1024 bytes though only ``v2/fw/response/+`` is subscribed."""
    data = firmware_bytes(5000)
    package = create_package(live, data, title="raw", version=uuid.uuid4().hex[:6])
    token, device = _device(live)
    assign(live, device, package, "firmware_id")
    client = Paho("5")
    paho.append(client)
    client.connect(live.mqtt_port, token)
    client.subscribe("v2/fw/response/+", 1)
    client.publish("v2/fw/request/7/chunk/0", b"1024", 1)
    client.publish("v2/fw/request/7/chunk/4", b"", 1)  # size remembered for request 7
    client.publish("v2/fw/request/7/chunk/5", b"1024", 1)  # past the end
    client.publish("v2/fw/request/8/chunk/0", b"", 1)  # no size: the whole image
    messages = client.wait(lambda: len(client.messages) >= 4 and client.messages)
    by_topic = {m.topic: m.payload for m in messages}
    assert by_topic["v2/fw/response/7/chunk/0"] == data[:1024]
    assert by_topic["v2/fw/response/7/chunk/4"] == data[4096:5000]
    assert by_topic["v2/fw/response/7/chunk/5"] == b""
    assert by_topic["v2/fw/response/8/chunk/0"] == data


def test_software_chunks_use_the_sw_topics(live: LiveNode, paho: list[Paho]) -> None:
    data = firmware_bytes(3000)
    package = create_package(
        live, data, title="app", version=uuid.uuid4().hex[:6], kind=OtaPackageType.SOFTWARE
    )
    token, device = _device(live)
    device = assign(live, device, package, "software_id")
    assert live.attributes(device, AttributeScope.SHARED_SCOPE)["sw_title"] == "app"
    client = Paho("5")
    paho.append(client)
    client.connect(live.mqtt_port, token)
    client.publish("v2/sw/request/1/chunk/1", b"2048", 1)
    message = client.wait(lambda: client.messages and client.messages[0])
    assert message.topic == "v2/sw/response/1/chunk/1"
    assert message.payload == data[2048:]


@pytest.mark.parametrize("version", ["5", "3.1.1"])
def test_no_package_is_not_found_then_disconnect(
    live: LiveNode, paho: list[Paho], version: str
) -> None:
    """Checklist 28: ``NOT_FOUND`` on ``v2/fw/error``, then the session ends (0x83 on v5)."""
    token, _ = _device(live)
    client = Paho(version)
    paho.append(client)
    client.connect(live.mqtt_port, token)
    client.client.publish("v2/fw/request/1/chunk/0", b"1024", 1)
    message = client.wait(lambda: client.messages and client.messages[0])
    assert (message.topic, message.payload) == ("v2/fw/error", b"NOT_FOUND")
    reason = client.wait(lambda: client.disconnect_reason)
    if version == "5":
        assert reason.value == 0x83


def test_chunk_over_the_payload_limit_is_refused(live: LiveNode, paho: list[Paho]) -> None:
    package = create_package(live, firmware_bytes(1000), title="big", version=uuid.uuid4().hex)
    token, device = _device(live)
    assign(live, device, package, "firmware_id")
    client = Paho("5")
    paho.append(client)
    client.connect(live.mqtt_port, token)
    client.client.publish("v2/fw/request/1/chunk/0", str(10 * MIB).encode(), 1)
    message = client.wait(lambda: client.messages and client.messages[0])
    assert (message.topic, message.payload) == ("v2/fw/error", b"PAYLOAD_TOO_LARGE")


def test_assigning_while_connected_pushes_and_the_sdk_updates(
    live: LiveNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fw_* push alone (one message, size included) starts the SDK's download."""
    monkeypatch.chdir(tmp_path)
    data = firmware_bytes(300_000)
    package = create_package(live, data, title="pushed", version="v7")
    token, device = _device(live)
    device_id = device.id
    assert device_id is not None
    client = TBDeviceMqttClient("127.0.0.1", live.mqtt_port, username=token)
    client.connect()
    try:
        sessions = live.node.devices.sessions  # type: ignore[union-attr]
        live.wait_for(  # the SDK has subscribed to attribute updates
            lambda: live.call(
                lambda: any(s.wants_attribute_updates for s in sessions.sessions_of(device_id))
            )
        )
        assign(live, device, package, "firmware_id")
        live.wait_for(
            lambda: (point := live.latest(device).get("fw_state")) and point.value == "UPDATED",
            timeout=60,
        )
    finally:
        leave(client)
    assert (tmp_path / "pushed").read_bytes() == data
