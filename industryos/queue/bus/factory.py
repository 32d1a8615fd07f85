"""Choose the bus implementation from the node's bus URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from industryos.queue.bus.interface import Bus, BusUnreachable
from industryos.queue.bus.local import LocalBus
from industryos.queue.bus.memory import InProcessBus
from industryos.queue.bus.nats import NatsBus

__all__ = ["open_bus"]


async def _nats(url: str, name: str | None) -> Bus:
    return await NatsBus.connect(url, name=name)


async def _unix(url: str, name: str | None) -> Bus:
    path = url.removeprefix("unix://")  # taken as is: a file name may hold "#", "?" or "%"
    if not path.startswith("/"):
        raise BusUnreachable(
            f"bus URL {url!r} needs an absolute socket path (unix:///path/bus.sock)"
        )
    return await LocalBus.connect(path)


_SCHEMES: dict[str, Callable[[str, str | None], Awaitable[Bus]]] = {
    "nats": _nats,
    "tls": _nats,
    "unix": _unix,
}
"""URL scheme → how to open that bus."""


async def open_bus(url: str = "", *, name: str | None = None) -> Bus:
    """The in-process bus for an empty URL, else the bus the URL's scheme names."""
    if not url:
        return InProcessBus()
    opener = _SCHEMES.get(urlsplit(url).scheme)
    if opener is None:
        raise BusUnreachable(
            f"unsupported bus URL {url!r} (expected nats://host:port or unix:///path/bus.sock)"
        )
    return await opener(url, name)
