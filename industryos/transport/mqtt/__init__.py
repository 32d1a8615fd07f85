"""MQTT 3.1/3.1.1/5.0 transport core: codec, sessions and the listener.

The device business logic plugs in through :class:`MqttApplication` (``application.py``);
nothing in this package knows tenants, devices or topics of the device API.
"""
