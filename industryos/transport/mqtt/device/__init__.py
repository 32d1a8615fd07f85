"""The MQTT device adapter: ThingsBoard's device topics on top of the MQTT core.

The protocol core (``transport/mqtt/``) knows no
topics; this package routes them (``topics.py``), keeps per-session device state
(``context.py``), reads the MQTT settings of device profiles (``profiles.py``) and
implements :class:`~industryos.transport.mqtt.MqttApplication` (``adapter.py``).
"""

from industryos.transport.mqtt.device.adapter import GatewayApi, MqttDeviceApplication
from industryos.transport.mqtt.device.context import MqttDeviceSession
from industryos.transport.mqtt.device.profiles import MqttProfile, ProfileCache
from industryos.transport.mqtt.device.topics import Family, Route, Uplink, route

__all__ = [
    "Family",
    "GatewayApi",
    "MqttDeviceApplication",
    "MqttDeviceSession",
    "MqttProfile",
    "ProfileCache",
    "Route",
    "Uplink",
    "route",
]
