"""The gateway MQTT API (spec device-api §5) on top of the MQTT device adapter.

``handler.py`` implements the adapter's ``GatewayApi`` dispatch point: one handler per
``v1/gateway/*`` topic (``topics.py``), bodies read by ``payloads.py``, errors that carry
their PUBACK code (``errors.py``). Children are found or created by ``children.py`` and
get virtual sessions over the gateway's connection in ``session.py``, kept across gateway
reconnects. ``notices.py`` sends the gateway-self RPCs about renamed and deleted children.
"""

from industryos.transport.mqtt.gateway.children import ChildDirectory
from industryos.transport.mqtt.gateway.handler import GatewayHandler
from industryos.transport.mqtt.gateway.notices import GatewayNotices
from industryos.transport.mqtt.gateway.session import ChildSession, Gateway, GatewayRegistry
from industryos.transport.mqtt.gateway.topics import Downlink, GatewayMethod, Uplink

__all__ = [
    "ChildDirectory",
    "ChildSession",
    "Downlink",
    "Gateway",
    "GatewayHandler",
    "GatewayMethod",
    "GatewayNotices",
    "GatewayRegistry",
    "Uplink",
]
