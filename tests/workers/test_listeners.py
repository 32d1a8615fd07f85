"""The shared listening sockets: one per worker on each port, a port 0 picked once."""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path
from typing import Any

import pytest

from industryos.config import Settings, load_settings
from industryos.transport.binding import PortUnavailable
from industryos.workers.listeners import Listeners, bind_listeners


def _settings(tmp_path: Path, **overrides: int) -> Settings:
    ports: dict[str, Any] = {"http_port": 0, "mqtt_port": 0, "mqtt_tls_port": 0, **overrides}
    return load_settings(data_dir=tmp_path, http_host="127.0.0.1", **ports)


def _backlog(sock: socket.socket) -> int:
    """A listening socket's accept-queue limit (Linux reports it as ``tcpi_sacked``)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("8B6I", info)[13])


def test_every_socket_queues_the_configured_backlog(tmp_path: Path) -> None:
    groups = bind_listeners(_settings(tmp_path, listen_backlog=333), 2)
    try:
        assert {_backlog(sock) for group in groups for sock in group.sockets()} == {333}
    finally:
        for group in groups:
            group.close()


def test_every_worker_gets_its_own_socket_on_each_shared_port(tmp_path: Path) -> None:
    groups = bind_listeners(_settings(tmp_path), 3)
    try:
        assert len(groups) == 3
        for name in ("http", "mqtt", "mqtt_tls"):
            sockets = [getattr(group, name) for group in groups]
            ports = {sock.getsockname()[1] for sock in sockets}
            assert len(ports) == 1 and 0 not in ports  # port 0 was picked once, for all
            assert len({sock.fileno() for sock in sockets}) == 3
        assert (
            len(
                {group.http.getsockname()[1] for group in groups}
                | {groups[0].mqtt.getsockname()[1], groups[0].mqtt_tls.getsockname()[1]}
            )
            == 3
        )
        # each socket accepts: the kernel hands a connection to one of the group
        with socket.create_connection(groups[0].mqtt.getsockname(), timeout=5):
            pass
    finally:
        for group in groups:
            group.close()


def test_the_descriptors_travel_as_one_argument(tmp_path: Path) -> None:
    (group,) = bind_listeners(_settings(tmp_path), 1)
    try:
        value = group.to_arg()
        assert value == (
            f"http={group.http.fileno()},mqtt={group.mqtt.fileno()},"
            f"mqtt_tls={group.mqtt_tls.fileno()}"
        )
        with pytest.raises(ValueError, match="must name"):
            Listeners.from_arg(f"http={group.http.fileno()}")
    finally:
        group.close()


def test_a_port_held_by_another_program_is_a_start_up_error(tmp_path: Path) -> None:
    other = socket.socket()
    other.bind(("127.0.0.1", 0))
    other.listen()
    try:
        taken = other.getsockname()[1]
        open_before = len(os.listdir("/proc/self/fd"))
        with pytest.raises(PortUnavailable, match="in use"):
            bind_listeners(_settings(tmp_path, mqtt_port=taken), 2)
        assert len(os.listdir("/proc/self/fd")) == open_before  # the HTTP sockets are closed
    finally:
        other.close()
