"""The CoAP listener's life cycle inside the node (``transport/coap/server.py``)."""

from __future__ import annotations

from typing import Any

from aiocoap import Message
from aiocoap.numbers.codes import Code

from tests.transport.coap.conftest import eventually
from tests.transport.coap.rawclient import RawCoapClient
from tests.transport.mqtt.device.livenode import LiveNode


async def test_port_zero_binds_a_free_port(live: LiveNode, coap_port: int) -> None:
    """Port 0 in the settings binds a free port, and the server reports the one it got."""
    assert live.node.settings.coap_port == 0
    assert coap_port != 0


async def test_close_ends_observations(
    live: LiveNode, client: Any, coap_port: int, device: tuple[Any, str]
) -> None:
    """Closing the resource ends every observation (2.02) and refuses new requests (5.03);
    a fresh resource is not touched here, so the node's own stays usable afterwards."""
    from industryos.transport.coap.resource import CoapDeviceResource
    from industryos.transport.coap.server import CoapServer

    dev, token = device
    assert live.node.devices is not None
    transports = live.node.devices
    resource = CoapDeviceResource(transports.auth, transports.api, transports.sessions)
    server = CoapServer(resource, "127.0.0.1", 0)
    await _on(live, server.start())
    try:
        port = server.port
        assert port is not None and port != coap_port
        raw = await RawCoapClient.connect(port)
        raw.request(Code.GET, f"api/v1/{token}/rpc", b"Z", observe=0)
        await eventually(live, lambda: len(resource.observations) == 1)
        live.call(resource.close)
        ended = await raw.receive()
        assert (ended.token, ended.code) == (b"Z", Code.DELETED)
        refused = await client.request(
            Message(code=Code.POST, uri=f"coap://127.0.0.1:{port}/api/v1/{token}/telemetry")
        ).response
        assert refused.code == Code.SERVICE_UNAVAILABLE
        raw.close()
    finally:
        await _on(live, server.close())
    assert server.port is None
    assert not live.call(lambda: transports.sessions.is_connected(dev.id))


async def _on(live: LiveNode, coro: Any) -> Any:
    from tests.transport.coap.conftest import on_node

    return await on_node(live, coro)
