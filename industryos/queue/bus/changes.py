"""Change notices between cluster nodes, so a cache on node A hears of a change made on node B.

Services drop cached state through local hooks (credentials changed, device changed, rule
chain saved). In a cluster the same state is cached on every node, so :class:`ClusterChanges`
carries each hooked change to the other nodes: a *kind* pairs an announcer (called by the
local hook with a small JSON object) with an ``apply`` function (called with that object on
every other node). Notices accumulate and one task publishes them as one payload (subject
:data:`SUBJECT`, :mod:`industryos.queue.bus.batching`), so a burst of changes costs a few
bus messages and the hook only appends to a list. A node skips its own payloads by its
random node id, and while it applies a remote notice its own announcers are silent, so a
hook that fires again during ``apply`` does not echo the change back.

Delivery is the bus's: at most once. A node that misses a notice (bus down, node starting)
keeps the stale entry until it is evicted or the node restarts; caches with a TTL catch up
when it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson

from industryos.queue.bus.batching import BatchedPublisher
from industryos.queue.bus.interface import Bus, Subscription

__all__ = ["MAX_PENDING", "SUBJECT", "Announce", "Apply", "ClusterChanges"]

log = logging.getLogger(__name__)

SUBJECT = "industryos.changes"
"""The bus subject every node publishes its change notices on."""

MAX_PENDING = 10_000
"""Notices waiting for the bus before new ones are dropped."""

Json = dict[str, Any]
Announce = Callable[[Json], None]
"""Called by a local hook with a change's notice (a small JSON object)."""
Apply = Callable[[Json], None]
"""Called with a notice another node announced."""


class ClusterChanges:
    """Announces this node's changes to the other nodes and applies theirs here."""

    def __init__(self, bus: Bus, subject: str = SUBJECT) -> None:
        self._bus = bus
        self._subject = subject
        self.out: BatchedPublisher[Json] = BatchedPublisher(
            bus, subject, key="c", encode=dict, max_pending=MAX_PENDING, name="cluster changes"
        )
        """The sending side (its ``sent`` and ``dropped`` count notices)."""
        self._kinds: dict[str, Apply] = {}
        self._applying = False
        self._subscription: Subscription | None = None
        self.applied = 0

    def kind(self, name: str, apply: Apply) -> Announce:
        """Apply other nodes' notices of ``name`` with ``apply``; returns the announcer the
        local hook calls."""
        if name in self._kinds:
            raise ValueError(f"change kind {name!r} is registered already")
        self._kinds[name] = apply

        def announce(notice: Json) -> None:
            if not self._applying:
                self.out.put({**notice, "k": name})

        return announce

    async def start(self) -> None:
        """Hear the other nodes and start sending this node's notices."""
        self._subscription = await self._bus.subscribe(self._subject, self._received)
        self.out.start()

    async def stop(self) -> None:
        """Stop relaying (notices still pending are not sent)."""
        await self.out.stop()
        if self._subscription is not None:
            await self._subscription.close()
            self._subscription = None

    async def _received(self, payload: bytes) -> None:
        try:
            message = orjson.loads(payload)
            if message.get("n") == self.out.node_id:
                return
            notices = list(message["c"])
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
            log.warning("cluster changes: unreadable payload of %d bytes", len(payload))
            return
        for notice in notices:
            self._apply(notice)

    def _apply(self, notice: Any) -> None:
        apply = self._kinds.get(str(notice.get("k"))) if isinstance(notice, dict) else None
        if apply is None:
            log.warning("cluster changes: unknown notice %.200r", notice)
            return
        self._applying = True
        try:
            apply(notice)
            self.applied += 1
        except (ValueError, KeyError, TypeError):
            log.warning("cluster changes: unreadable notice %.200r", notice)
        finally:
            self._applying = False
