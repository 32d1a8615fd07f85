"""Which entities' time-series points the other cluster nodes listen to.

The change feed (:mod:`.cluster`) would otherwise send every point written on this node to
every other node, where most are nobody's: in a node of several worker processes that cost
each worker about 8 % of its event loop (encoding, sending, decoding, skipping). So each
node announces on the bus what its own listeners want: the entities some local listener
hears points of, and whether a catch-all listener (a live query) hears every entity's. The
feed then sends a point only where some other node wants it.

Announcements are snapshots (subject :data:`SUBJECT`, or the feed's subject followed by
``.interest``): sent when the local listeners change
(coalesced over :data:`COALESCE_S`), every :data:`REFRESH_S` anyway, and on request: a
node that starts asks the others for theirs. A node that has not announced for
:data:`EXPIRE_S` is forgotten. For :data:`GRACE_S` after start, before the answers are in,
every point is wanted.

Delivery stays the bus's, at most once: a point written on node A between a subscription on
node B and A's hearing of it (a few milliseconds) does not reach that subscription; its
first read of the store, and the next point, do.

Design limit: a snapshot lists every entity with a listener (36 bytes each), so tens of
thousands of subscribed entities make each announcement large; deltas would be smaller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable

import orjson

from industryos.queue.bus import Bus, BusError, Subscription
from industryos.telemetry.listeners import Listener, ListenerRegistry

__all__ = ["COALESCE_S", "EXPIRE_S", "GRACE_S", "REFRESH_S", "SUBJECT", "PointInterest"]

log = logging.getLogger(__name__)

SUBJECT = "industryos.feeds.interest"
COALESCE_S = 0.01
"""Listener changes within this long make one announcement."""
REFRESH_S = 10.0
"""Every node announces its interest at least this often."""
EXPIRE_S = 3 * REFRESH_S
"""A node not heard from for this long wants nothing any more (it stopped or died)."""
GRACE_S = 1.0
"""After start, every point is wanted this long (the other nodes' answers arrive first)."""


class PointInterest:
    """This node's announcements, and what the other nodes announced."""

    def __init__(
        self,
        bus: Bus,
        registry: ListenerRegistry,
        node_id: str,
        own: Listener,
        subject: str = SUBJECT,
    ) -> None:
        self._bus = bus
        self._registry = registry
        self._node_id = node_id
        self._own = own
        """The feed's own listener: what it hears is not this node's interest."""
        self._subject = subject
        self._nodes: dict[str, tuple[bool, frozenset[uuid.UUID], float]] = {}
        self._everything = False
        self._entities: set[uuid.UUID] = set()
        self._grace_until = 0.0
        self._changed = asyncio.Event()
        self._announced: tuple[bool, frozenset[uuid.UUID]] | None = None
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None
        self._unwatch: Callable[[], None] | None = None

    def wanted(self, entity_id: uuid.UUID) -> bool:
        """Whether some other node listens to points of ``entity_id``."""
        return self._everything or entity_id in self._entities or self._in_grace()

    @property
    def settled(self) -> bool:
        """Past the grace after start: only announced interest counts."""
        return not self._in_grace()

    def _in_grace(self) -> bool:
        return asyncio.get_running_loop().time() < self._grace_until

    async def start(self) -> None:
        """Listen to the others, ask for their interest, announce ours from now on."""
        loop = asyncio.get_running_loop()
        self._grace_until = loop.time() + GRACE_S
        self._subscription = await self._bus.subscribe(self._subject, self._received)
        self._unwatch = self._registry.watch(self._changed.set)
        await self._announce(ask=True)
        self._task = loop.create_task(self._announcing(), name="point interest")

    async def stop(self) -> None:
        """Stop announcing and listening."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def _announcing(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_S - (loop.time() - last)):
                    await self._changed.wait()
            self._changed.clear()
            if loop.time() - last >= REFRESH_S:
                self._announced = None  # the periodic one goes out even when unchanged
                self._expire()
            await self._announce()
            last = loop.time()
            await asyncio.sleep(COALESCE_S)

    async def _announce(self, *, ask: bool = False) -> None:
        everything, entities = self._registry.point_interest(besides=self._own)
        if not ask and self._announced == (everything, entities):
            return
        payload = orjson.dumps(
            {"n": self._node_id, "a": everything, "i": [str(e) for e in entities], "q": ask}
        )
        try:
            await self._bus.publish(self._subject, payload)
        except BusError as exc:
            log.warning("point interest not announced: %s", exc)
            return
        self._announced = (everything, entities)

    async def _received(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            node = str(message["n"])
            if node == self._node_id:
                return
            everything = bool(message["a"])
            entities = frozenset(uuid.UUID(e) for e in message["i"])
            ask = bool(message.get("q"))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            log.warning("point interest: unreadable announcement of %d bytes", len(payload))
            return
        self._nodes[node] = (everything, entities, asyncio.get_running_loop().time())
        self._merge()
        if ask:  # a node started: it wants everyone's interest now
            self._announced = None
            self._changed.set()

    def _expire(self) -> None:
        horizon = asyncio.get_running_loop().time() - EXPIRE_S
        for node in [n for n, (_, _, seen) in self._nodes.items() if seen < horizon]:
            del self._nodes[node]
        self._merge()

    def _merge(self) -> None:
        self._everything = any(everything for everything, _, _ in self._nodes.values())
        self._entities = set().union(*(entities for _, entities, _ in self._nodes.values()))
