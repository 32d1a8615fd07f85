"""Leaving with a ThingsBoard SDK device client (``tb-mqtt-client``) without its close race."""

from __future__ import annotations

from tb_device_mqtt import TBDeviceMqttClient


def leave(client: TBDeviceMqttClient) -> None:
    """Stop, then disconnect ``client``.

    The SDK's ``disconnect`` marks the client disconnected and joins paho's network thread.
    If that thread is still in the SDK's on-connect handler, which subscribes to four topics
    and before each one waits in a loop while the client is neither connected nor stopped,
    the join never returns (a slow CI machine hung ``test_claiming`` for its 120 s timeout).
    ``stop`` ends that loop first.
    """
    client.stop()
    client.disconnect()
