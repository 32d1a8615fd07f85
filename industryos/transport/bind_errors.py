"""One message for a listener that cannot bind its address, whichever code bound it.

asyncio's and uvloop's TCP servers already name the address in the error; a plain
``socket.bind`` (the workers' shared sockets) or aiocoap's UDP endpoint do not, and "Address
already in use" alone does not say which of the node's four ports to change.
"""

from __future__ import annotations

from typing import Any

__all__ = ["naming_address"]


def naming_address(exc: OSError, address: Any) -> OSError:
    """``exc`` as the event loop words it: same errno, the address in the message."""
    reason = (exc.strerror or str(exc)).lower()
    return OSError(exc.errno, f"error while attempting to bind on address {address!r}: {reason}")
