"""A listener bound with SO_REUSEPORT must not join a port another process holds."""

from __future__ import annotations

import errno
import socket

import pytest

from industryos.start_refused import StartRefused
from industryos.transport.binding import PortUnavailable, port_unavailable, refuse_taken_port


def _held(kind: socket.SocketKind, *, shared: bool) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    if shared:  # as another node's workers (TCP) or aiocoap (UDP) hold theirs
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        sock.listen()
    return sock


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
@pytest.mark.parametrize("shared", [False, True])
def test_a_held_port_is_refused_with_its_address(kind: socket.SocketKind, shared: bool) -> None:
    with _held(kind, shared=shared) as held:
        port = held.getsockname()[1]
        with pytest.raises(PortUnavailable) as refused:
            refuse_taken_port("127.0.0.1", port, kind)
    assert refused.value.errno == errno.EADDRINUSE
    assert isinstance(refused.value, StartRefused)
    assert str(refused.value).startswith(
        f"cannot listen on ('127.0.0.1', {port}): address already in use; "
        "stop the program that holds the port, or choose another (http_host, http_port, "
    )


@pytest.mark.parametrize("kind", [socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_a_free_port_and_port_0_pass(kind: socket.SocketKind) -> None:
    with _held(kind, shared=False) as held:
        port = held.getsockname()[1]
    refuse_taken_port("127.0.0.1", port, kind)  # released: free again
    refuse_taken_port("127.0.0.1", 0, kind)


def test_a_port_with_connections_of_an_earlier_run_in_time_wait_passes() -> None:
    """A node restarted at once finds its old connections in TIME_WAIT: not a holder."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as every listener of ours
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first: its end goes to TIME_WAIT
        client.close()
    refuse_taken_port("127.0.0.1", port, socket.SOCK_STREAM)


def test_a_port_the_user_may_not_bind_says_what_it_needs() -> None:
    refusal = port_unavailable(OSError(errno.EACCES, "Permission denied"), ("0.0.0.0", 80))
    assert refusal.errno == errno.EACCES
    assert str(refusal).startswith(
        "cannot listen on ('0.0.0.0', 80): permission denied; "
        "a port below 1024 needs root or CAP_NET_BIND_SERVICE; or choose another ("
    )
