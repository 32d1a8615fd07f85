"""Closing a paho-mqtt client so that nothing of it is left for the garbage collector."""

from __future__ import annotations

import paho.mqtt.client as mqtt


def close_paho(client: mqtt.Client) -> None:
    """Disconnect, stop the network thread and close every socket the client opened.

    paho 2 closes neither its connection socket nor its wake-up socket pair (two loopback
    TCP sockets made by ``loop_start``) on ``disconnect``/``loop_stop``; only its
    ``__del__`` does. A client in a reference cycle (any client whose callbacks are bound
    methods) reaches that ``__del__`` through the collector, which may finalise the
    sockets first: "unclosed socket" then fails whichever test happens to collect them.
    """
    if client.is_connected():
        client.disconnect()
    client.loop_stop()
    client._reset_sockets()
