"""OTA chunks over HTTP (``/api/v1/{token}/firmware``) and CoAP (``/fw/{token}``) on a live node.

Checklist 37: a wrong title is 400, no package 404, and a chunked download reassembles to
the package's checksum. CoAP: title/version optional, 4.04 / 4.00, Block2 for big chunks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiocoap import GET, Context, Message
from aiocoap.numbers.codes import Code
from tb_device_http import TBHTTPDevice

from tests.conftest import DatabaseFactory
from tests.devices.ota.livepackages import assign, create_package, firmware_bytes
from tests.transport.mqtt.device.livenode import LiveNode, start_live_node

SIZE = 200_000


@pytest.fixture(scope="module")
def live(
    database_factory: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveNode]:
    node = start_live_node(tmp_path_factory.mktemp("node"), database_factory.new_url("sqlite"))
    yield node
    node.stop()


@pytest.fixture(scope="module")
def assigned(live: LiveNode) -> tuple[str, bytes, str]:
    """A device token with a 200 kB firmware, the content and its version."""
    data = firmware_bytes(SIZE)
    version = uuid.uuid4().hex[:8]
    package = create_package(live, data, title="http-fw", version=version)
    token = f"http-{uuid.uuid4().hex[:10]}"
    device = live.create_device(f"dev-{token}", token=token)
    assign(live, device, package, "firmware_id")
    return token, data, version


async def test_http_chunks_reassemble_to_the_checksum(
    live: LiveNode, assigned: tuple[str, bytes, str]
) -> None:
    token, data, version = assigned
    base = f"http://127.0.0.1:{live.node.http_port}/api/v1/{token}/firmware"
    query: dict[str, str | int] = {"title": "http-fw", "version": version, "size": 65536}
    received = b""
    async with httpx.AsyncClient() as client:
        for chunk in range(4):
            response = await client.get(base, params={**query, "chunk": chunk})
            assert response.status_code == 200
            received += response.content
        assert response.headers["x-filename"] == "http-fw.bin"
        assert "attachment" in response.headers["content-disposition"]
        past_end = await client.get(base, params={**query, "chunk": 4})
        assert (past_end.status_code, past_end.content) == (200, b"")
        whole = await client.get(base, params={"title": "http-fw", "version": version})
        assert whole.content == data
        wrong_title = await client.get(base, params={**query, "title": "other", "chunk": 0})
        assert wrong_title.status_code == 400
        no_title = await client.get(base, params={"size": 10, "chunk": 0})
        assert no_title.status_code == 400
        unknown = await client.get(
            f"http://127.0.0.1:{live.node.http_port}/api/v1/nobody/firmware", params=query
        )
        assert unknown.status_code == 401
        software = await client.get(base.replace("/firmware", "/software"), params=query)
        assert software.status_code == 404
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(data).hexdigest()


async def test_http_without_a_package_is_404(live: LiveNode) -> None:
    token = f"none-{uuid.uuid4().hex[:10]}"
    live.create_device(f"dev-{token}", token=token)
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"http://127.0.0.1:{live.node.http_port}/api/v1/{token}/firmware",
            params={"title": "x", "version": "1", "size": 10, "chunk": 0},
        )
    assert response.status_code == 404


async def test_coap_chunks_with_block2(live: LiveNode, assigned: tuple[str, bytes, str]) -> None:
    token, data, version = assigned
    assert live.node.devices is not None
    port = live.node.devices.coap.port
    context = await Context.create_client_context()
    try:

        async def get(path: str) -> Message:
            request = Message(code=GET, uri=f"coap://127.0.0.1:{port}{path}")
            response: Message = await context.request(request).response
            return response

        received = b""
        for chunk in range(2):
            response = await get(f"/fw/{token}?size=100000&chunk={chunk}")
            assert response.code == Code.CONTENT
            received += response.payload
        assert received == data
        titled = await get(f"/fw/{token}?title=http-fw&version={version}&size=1000&chunk=3")
        assert titled.payload == data[3000:4000]
        wrong = await get(f"/fw/{token}?title=other&size=10&chunk=0")
        assert wrong.code == Code.BAD_REQUEST
        none = await get(f"/sw/{token}?size=10&chunk=0")
        assert none.code == Code.NOT_FOUND
        unknown = await get("/fw/nobody?size=10&chunk=0")
        assert unknown.code == Code.UNAUTHORIZED
    finally:
        await context.shutdown()


def test_http_sdk_get_firmware_update(
    live: LiveNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``TBHTTPDevice.get_firmware_update()``: repeated ``sharedKeys``, chunks, one past the end."""
    monkeypatch.chdir(tmp_path)  # the SDK saves the image as ./<fw_title>
    data = firmware_bytes(150_000)
    package = create_package(live, data, title="http-sdk-fw", version="v3")
    token = f"sdk-{uuid.uuid4().hex[:10]}"
    device = live.create_device(f"dev-{token}", token=token)
    assign(live, device, package, "firmware_id")
    client = TBHTTPDevice(f"http://127.0.0.1:{live.node.http_port}", token, chunk_size=65536)
    assert client.connect()  # also starts the thread that sends its queued fw_state telemetry
    try:
        client.get_firmware_update()
        assert (tmp_path / "http-sdk-fw").read_bytes() == data
        latest = live.wait_for(
            lambda: (
                (points := live.latest(device)).get("fw_state")
                and points["fw_state"].value == "UPDATED"
                and points
            )
        )
    finally:
        client.stop_publish_worker()
    assert latest["current_fw_version"].value == "v3"
