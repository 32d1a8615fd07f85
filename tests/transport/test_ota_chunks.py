"""Whole-image OTA downloads (chunk size 0) are streamed from the file, never read whole.

The node's MQTT and CoAP OTA handlers are rebuilt over a :class:`ContentStore` subclass that
records every read; the real clients (paho, tb-mqtt-client, aiocoap) check the bytes.
MQTT: the PUBLISH header carries the full length and the file follows block by block, with
other packets of the session held until the streamed one is out (paho would lose its framing
otherwise). CoAP: each Block2 block is read from the file when it is asked for.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiocoap import GET, Context, Message
from aiocoap.numbers.codes import Code
from tb_device_mqtt import TBDeviceMqttClient

from industryos.devices.ota.content import STREAM_BLOCK, ContentStore
from industryos.devices.ota.downloads import OtaDownloads
from industryos.devices.ota.model import OtaPackageInfo
from industryos.entities.models import Device
from industryos.transport.ota_chunks import CoapOta, MqttOta
from tests.conftest import DatabaseFactory
from tests.devices.ota.livepackages import MIB, assign, create_package, firmware_bytes
from tests.support.tb_client import leave
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node
from tests.transport.mqtt.pahoclient import Paho

IMAGE = 50 * MIB


class RecordingStore(ContentStore):
    """A content store that remembers the length of every read it served."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[int] = []

    async def read(self, package_id: uuid.UUID, offset: int, length: int) -> bytes:
        data = await super().read(package_id, offset, length)
        self.reads.append(len(data))
        return data


@pytest.fixture(scope="module")
def live(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveNode]:
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url("sqlite"))
    yield node
    node.stop()


class TruncatedStore(RecordingStore):
    """A store whose files seem to end after their first block (cut short on disk)."""

    async def read(self, package_id: uuid.UUID, offset: int, length: int) -> bytes:
        if offset >= STREAM_BLOCK:
            return b""
        return await super().read(package_id, offset, length)


def install(live: LiveNode, kind: type[RecordingStore] = RecordingStore) -> RecordingStore:
    """The node's OTA handlers, rebuilt over a store of ``kind`` on the same files."""
    core, devices = live.core, live.node.devices
    assert devices is not None
    recording = kind(core.ota.packages.content.path(uuid.uuid4()).parent)
    downloads = OtaDownloads(core.ota.resolver, recording)
    max_payload = live.node.settings.max_payload_bytes

    def replace() -> None:
        devices.mqtt_app.ota = MqttOta(downloads, max_payload)
        devices.coap.resource.ota = CoapOta(downloads)

    live.call(replace)
    return recording


@pytest.fixture
def store(live: LiveNode) -> RecordingStore:
    return install(live)


@pytest.fixture
def paho() -> Iterator[list[Paho]]:
    clients: list[Paho] = []
    yield clients
    for client in clients:
        client.close()


def _assigned(live: LiveNode, data: bytes, title: str) -> tuple[str, OtaPackageInfo, Device]:
    package = create_package(live, data, title=title, version=uuid.uuid4().hex[:8])
    token = f"{title}-{uuid.uuid4().hex[:10]}"
    device = live.create_device(f"dev-{token}", token=token)
    return token, package, assign(live, device, package, "firmware_id")


@pytest.mark.parametrize("version", ["5", "3.1.1"])
def test_mqtt_whole_image_is_streamed_block_by_block(
    live: LiveNode, store: RecordingStore, paho: list[Paho], version: str
) -> None:
    data = firmware_bytes(IMAGE)
    token, package, _ = _assigned(live, data, "big")
    client = Paho(version)
    paho.append(client)
    client.connect(live.mqtt_port, token)
    client.client.publish("v2/fw/request/1/chunk/0", b"", 1)  # empty: size 0, the whole image
    client.client.publish("v2/fw/request/2/chunk/3", b"1000", 1)  # held until the image is out
    client.client.publish("v1/devices/me/telemetry", b'{"during":1}', 1)
    messages = client.wait(lambda: len(client.messages) >= 2 and client.messages, timeout=60)
    by_topic = {m.topic: m.payload for m in messages}
    whole = by_topic["v2/fw/response/1/chunk/0"]
    assert len(whole) == IMAGE
    assert hashlib.sha256(whole).hexdigest() == package.checksum
    assert by_topic["v2/fw/response/2/chunk/3"] == data[3000:4000]
    assert max(store.reads) <= STREAM_BLOCK  # never more than one block in hand
    assert sum(store.reads) == IMAGE + 1000  # each byte read once
    client.publish("v2/fw/request/3/chunk/0", b"10", 1)  # the session survived
    client.wait(lambda: len(client.messages) >= 3)
    assert client.messages[2].payload == data[:10]


def test_an_image_cut_short_closes_the_session_instead_of_sending_garbage(
    live: LiveNode, paho: list[Paho]
) -> None:
    """Half a PUBLISH cannot be taken back: the connection ends, no message arrives."""
    data = firmware_bytes(MIB)
    token, _, _ = _assigned(live, data, "cut")
    store = install(live, TruncatedStore)
    try:
        client = Paho("5")
        paho.append(client)
        client.connect(live.mqtt_port, token)
        client.client.publish("v2/fw/request/1/chunk/0", b"0", 1)
        client.wait(lambda: client.disconnect_reason is not None, timeout=30)
        assert client.messages == []
        assert store.reads == [STREAM_BLOCK]  # then the file seemed to end
    finally:
        install(live)
    again = Paho("5")
    paho.append(again)
    again.connect(live.mqtt_port, token)
    again.publish("v2/fw/request/2/chunk/0", b"0", 1)
    whole = again.wait(lambda: again.messages and again.messages[0], timeout=30)
    assert whole.payload == data


def test_sdk_whole_image_download_verifies_and_reports_updated(
    live: LiveNode, store: RecordingStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tb-mqtt-client's default chunk size 0 asks for the whole image in one message."""
    monkeypatch.chdir(tmp_path)  # the SDK saves the image as ./<fw_title>
    data = firmware_bytes(20 * MIB)
    token, package, device = _assigned(live, data, "sdk-whole")
    client = TBDeviceMqttClient("127.0.0.1", live.mqtt_port, username=token)
    client.connect()
    try:
        client.get_firmware_update()
        live.wait_for(
            lambda: (point := live.latest(device).get("fw_state")) and point.value == "UPDATED",
            timeout=60,
        )
    finally:
        leave(client)
    saved = (tmp_path / "sdk-whole").read_bytes()
    assert hashlib.sha256(saved).hexdigest() == package.checksum
    assert store.reads and max(store.reads) <= STREAM_BLOCK
    assert sum(store.reads) == len(data)


async def test_coap_block2_reads_one_block_at_a_time(live: LiveNode, store: RecordingStore) -> None:
    data = firmware_bytes(300_000)
    token, _, _ = _assigned(live, data, "coap-whole")
    assert live.node.devices is not None
    port = live.node.devices.coap.port
    context = await Context.create_client_context()
    try:
        request = Message(code=GET, uri=f"coap://127.0.0.1:{port}/fw/{token}?size=0&chunk=0")
        response = await context.request(request).response
        assert response.code == Code.CONTENT
        assert response.payload == data
        assert max(store.reads) <= 1024
        assert sum(store.reads) == len(data)
        tail = Message(code=GET, uri=f"coap://127.0.0.1:{port}/fw/{token}?size=100&chunk=2999")
        small = await context.request(tail).response
        assert small.payload == data[299_900:] and small.opt.block2 is None
    finally:
        await context.shutdown()
