"""A loopback port nobody listens on right now, for a server a test starts itself.

Another process may take it before the server binds it; the servers started this way
(PostgreSQL, NATS, SMTP) are started once per test and fail loudly if it was taken.
"""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
