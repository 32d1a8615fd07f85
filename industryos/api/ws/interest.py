"""Which entities' time-series points each cluster node listens to, so points go only there.

Most points a node writes are nobody's on any other node: a WebSocket session watches a few
devices, a fleet writes many. Encoding, sending and receiving every point cost a worker
process about a tenth of its CPU (``bench/mqtt_ingest.py --workers 2``), so the cluster feed
sends a node's accepted points only for entities another node says it listens to.

* :class:`LocalInterest` follows this node's listener registry and announces what it hears
  points of on ``<feed subject>.interest``: each change at once (``add`` / ``del``, coalesced
  per loop pass), and a full snapshot (``all``) at start (``hello``: every other node answers
  with its own snapshot), every :data:`REFRESH_S`, and ``bye`` at stop. ``"*"`` stands for
  every entity (a live query filtered on keys of any entity).
* :class:`RemoteInterest` is the other side: per node, the entities it wants, and their
  union. A snapshot replaces a node's set; a node that sends no snapshot for
  :data:`EXPIRE_S` (it died without ``bye``) is forgotten. A node whose feed payloads arrive
  before any announcement (a node of an older version, or one whose snapshot was lost) is
  presumed to want every entity until its snapshot comes: over-sending is the safe error.

The bus delivers at most once, so a lost change is repaired by the next snapshot. Between a
listener's subscription and the moment the writing node learns of it, the writer commits
points it did not send; the cluster feed replays the entity's recent commits when it learns
of a new interest (see ``cluster.py``), so a subscriber that read its first snapshot from the
store in that window still hears them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from industryos.queue.bus import Bus, BusError
from industryos.telemetry.listeners import ListenerRegistry

__all__ = ["EVERY_ENTITY", "EXPIRE_S", "REFRESH_S", "LocalInterest", "RemoteInterest"]

log = logging.getLogger(__name__)

EVERY_ENTITY = "*"
"""The interest of a listener of every entity's points."""

REFRESH_S = 10.0
"""How often each node repeats its full interest (repairs lost changes)."""

EXPIRE_S = 3 * REFRESH_S
"""A node not heard from for this long is forgotten (it stopped without saying so)."""

Json = Any


class LocalInterest:
    """Announces the entities this node's listeners hear points of, and their changes."""

    def __init__(
        self,
        bus: Bus,
        subject: str,
        node_id: str,
        listeners: ListenerRegistry,
        on_refresh: Callable[[], None] | None = None,
    ) -> None:
        self._bus = bus
        self._on_refresh = on_refresh
        """Called at every periodic snapshot (the feed expires silent nodes then)."""
        self._subject = subject
        self._node_id = node_id
        self._listeners = listeners
        self._changes: dict[str, bool] = {}
        """Entity text id -> heard now (True) or no longer (False), not yet announced."""
        self._snapshot_due = True
        self._hello = True
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unwatch: Callable[[], None] | None = None
        self.announced = 0
        """Interest messages published."""

    def start(self) -> None:
        """Announce the current interest (asking the others for theirs), then every change."""
        self._unwatch = self._listeners.watch_heard(self._changed)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop announcing and tell the others this node wants nothing any more."""
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            await self._publish({"k": "bye"})

    def snapshot_requested(self) -> None:
        """Another node started: send the full interest soon."""
        self._snapshot_due = True
        self._wake.set()

    def _changed(self, entity: str, heard: bool) -> None:
        self._changes[entity] = heard
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_snapshot = loop.time()
        while True:
            if loop.time() >= next_snapshot:
                self._snapshot_due = True
            if self._snapshot_due:
                self._snapshot_due = False
                self._changes.clear()  # the snapshot holds them
                ids = self._listeners.heard()
                await self._publish({"k": "all", "ids": ids, "hello": self._hello})
                self._hello = False
                next_snapshot = loop.time() + REFRESH_S
                if self._on_refresh is not None:
                    self._on_refresh()
            elif self._changes:
                changes, self._changes = self._changes, {}
                added = [entity for entity, heard in changes.items() if heard]
                removed = [entity for entity, heard in changes.items() if not heard]
                if added:
                    await self._publish({"k": "add", "ids": added})
                if removed:
                    await self._publish({"k": "del", "ids": removed})
            self._wake.clear()
            if self._changes or self._snapshot_due:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_snapshot - loop.time())):
                    await self._wake.wait()

    async def _publish(self, message: Json) -> None:
        try:
            await self._bus.publish(self._subject, orjson.dumps({"n": self._node_id, **message}))
            self.announced += 1
        except BusError as exc:  # the next snapshot repairs it
            log.warning("cluster feeds: interest not announced: %s", exc)


class _Node:
    __slots__ = ("every", "ids", "presumed", "seen")

    def __init__(self, seen: float, *, presumed: bool = False) -> None:
        self.ids: set[uuid.UUID] = set()
        self.every = presumed
        self.presumed = presumed
        """No announcement heard yet: wants every entity until its snapshot comes."""
        self.seen = seen


class RemoteInterest:
    """What the other nodes' listeners want, as one union that answers per point."""

    def __init__(
        self, node_id: str, on_wanted: Callable[[list[uuid.UUID]], None] | None = None
    ) -> None:
        self._node_id = node_id
        self._on_wanted = on_wanted
        """Told the entities some node wants now and no node wanted before."""
        self._nodes: dict[str, _Node] = {}
        self._wanted: dict[uuid.UUID, int] = {}
        """Entity -> nodes that want its points."""
        self._every = 0
        """Nodes that want every entity's points."""
        self.unreadable = 0

    def wants(self, entity_id: uuid.UUID) -> bool:
        """Whether some other node listens to the points of ``entity_id``."""
        return self._every > 0 or entity_id in self._wanted

    def nodes(self) -> list[str]:
        """The other nodes known now."""
        return list(self._nodes)

    def received(self, payload: bytes) -> bool:
        """Apply one announcement; True when it asks for this node's snapshot (``hello``)."""
        try:
            message = orjson.loads(payload)
            node = message["n"]
            kind = message["k"]
            if node == self._node_id or not isinstance(node, str):
                return False
            if kind == "bye":
                self._forget(node)
                return False
            ids = message["ids"]
            if not isinstance(ids, list):
                raise TypeError("ids is not a list")
            if kind == "all":
                self._replace(node, ids)
                return bool(message.get("hello"))
            if kind not in ("add", "del"):
                raise ValueError(f"kind {kind!r}")
            self._change(node, ids, kind == "add")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            self.unreadable += 1
            log.warning("cluster feeds: unreadable interest of %d bytes: %s", len(payload), exc)
        return False

    def heard_from(self, node: str) -> None:
        """A feed payload of ``node`` arrived: a node never announced is presumed to want all."""
        known = self._nodes.get(node)
        now = time.monotonic()
        if known is None:
            self._nodes[node] = _Node(now, presumed=True)
            self._every += 1
        elif known.presumed:
            known.seen = now

    def expire(self) -> list[str]:
        """Forget nodes not heard from for :data:`EXPIRE_S`; returns them."""
        limit = time.monotonic() - EXPIRE_S
        gone = [node for node, known in self._nodes.items() if known.seen < limit]
        for node in gone:
            self._forget(node)
        return gone

    def _replace(self, node: str, ids: list[Any]) -> None:
        every, wanted = _parse(ids)
        known = self._nodes.get(node)
        if known is None:
            known = self._nodes[node] = _Node(time.monotonic())
        known.seen = time.monotonic()
        known.presumed = False
        self._set_every(known, every)
        self._drop(known, known.ids - wanted)
        self._add(known, wanted - known.ids)

    def _change(self, node: str, ids: list[Any], add: bool) -> None:
        known = self._nodes.get(node)
        if known is None:  # its snapshot was lost: all, until the next one
            self.heard_from(node)
            return
        every, entities = _parse(ids)
        if add:
            if every:
                self._set_every(known, True)
            self._add(known, entities - known.ids)
        else:
            if every:
                self._set_every(known, False)
            self._drop(known, entities & known.ids)

    def _set_every(self, known: _Node, every: bool) -> None:
        if every != known.every:
            known.every = every
            self._every += 1 if every else -1

    def _add(self, known: _Node, entities: Iterable[uuid.UUID]) -> None:
        new = []
        wanted = self._wanted
        for entity in entities:
            known.ids.add(entity)
            count = wanted.get(entity, 0)
            wanted[entity] = count + 1
            if not count:
                new.append(entity)
        if new and self._on_wanted is not None:
            self._on_wanted(new)

    def _drop(self, known: _Node, entities: Iterable[uuid.UUID]) -> None:
        wanted = self._wanted
        for entity in list(entities):
            known.ids.discard(entity)
            left = wanted.pop(entity) - 1
            if left:
                wanted[entity] = left

    def _forget(self, node: str) -> None:
        known = self._nodes.pop(node, None)
        if known is not None:
            self._set_every(known, False)
            self._drop(known, known.ids)


def _parse(ids: list[Any]) -> tuple[bool, set[uuid.UUID]]:
    """(every entity, entity ids) of an announced list."""
    every = False
    entities = set()
    for entity in ids:
        if entity == EVERY_ENTITY:
            every = True
        else:
            entities.add(uuid.UUID(entity))
    return every, entities
