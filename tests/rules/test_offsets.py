"""The ackable offset only moves over a prefix of finished records."""

from __future__ import annotations

from industryos.rules.offsets import OffsetTracker


def test_ack_moves_only_over_finished_prefix() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 15, 20):
        tracker.delivered(offset)
    assert tracker.finished(15) is None
    assert tracker.finished(11) is None
    assert tracker.finished(10) == 15
    assert tracker.pending == 1
    assert tracker.finished(20) == 20
    assert tracker.pending == 0
