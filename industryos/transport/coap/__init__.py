"""CoAP device API (spec device-api §4): ``coap://host/api/v1/{token}/{feature}[/{id}]``.

:class:`CoapServer` is built and started by ``DeviceTransports``.
"""

from industryos.transport.coap.errors import CoapDeviceError
from industryos.transport.coap.resource import CoapDeviceResource
from industryos.transport.coap.server import CoapServer
from industryos.transport.coap.wire import Feature

__all__ = ["CoapDeviceError", "CoapDeviceResource", "CoapServer", "Feature"]
