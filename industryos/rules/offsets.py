"""Which offset of a partition may be acknowledged while messages finish out of order.

Messages of different originators finish in any order, but the queue's ack is cumulative
("everything up to offset N is done"). The tracker remembers delivered offsets in order
and answers, after each finished one, the highest offset below which every delivered
message is finished, so a crash replays only unfinished work (at-least-once).
Offsets are only compared, never added to (JetStream's are sparse).
"""

from __future__ import annotations

from collections import deque

__all__ = ["OffsetTracker"]


class OffsetTracker:
    """Delivered-but-unfinished offsets of one partition."""

    def __init__(self) -> None:
        self._order: deque[int] = deque()
        self._finished: set[int] = set()

    def delivered(self, offset: int) -> None:
        """A record was handed out (offsets arrive increasing)."""
        self._order.append(offset)

    def finished(self, offset: int) -> int | None:
        """A record is done; returns the new ackable offset, or None if it did not move."""
        self._finished.add(offset)
        ackable = None
        order = self._order
        while order and order[0] in self._finished:
            ackable = order.popleft()
            self._finished.discard(ackable)
        return ackable

    @property
    def pending(self) -> int:
        """Delivered records not yet covered by an ack."""
        return len(self._order)
