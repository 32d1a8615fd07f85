"""HTTP device API (spec device-api §3): ``/api/v1/{token}/...`` on the node's HTTP port.

``router`` is mounted on the REST app by the node; :class:`HttpDeviceApi` is built by
``DeviceTransports`` and set on ``app.state`` under :data:`STATE_ATTRIBUTE`.
"""

from industryos.transport.http.config import HttpDeviceConfig
from industryos.transport.http.errors import HttpDeviceError
from industryos.transport.http.routes import STATE_ATTRIBUTE, router
from industryos.transport.http.service import HttpDeviceApi

__all__ = ["STATE_ATTRIBUTE", "HttpDeviceApi", "HttpDeviceConfig", "HttpDeviceError", "router"]
