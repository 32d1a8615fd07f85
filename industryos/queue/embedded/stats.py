"""What the embedded queue reports about itself: counters, positions and lag.

Counters only grow (Prometheus counters: a reader derives rates such as fsyncs per second
from two samples); positions and lag are point-in-time values.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PartitionStats:
    """One partition's extent on disk."""

    topic: str
    partition: int
    start_offset: int
    end_offset: int
    segments: int
    bytes: int


@dataclass(frozen=True, slots=True)
class GroupLag:
    """How far one consumer group is behind on one partition."""

    group: str
    topic: str
    partition: int
    committed: int
    lag: int


@dataclass(frozen=True, slots=True)
class QueueStats:
    """A snapshot of the queue's counters and positions."""

    appended: int
    """Records made durable since open."""
    commits: int
    """Group commits of appends (one write-and-fsync round each)."""
    fsyncs: int
    """fsync/fdatasync calls of the append path (one per touched partition, plus directories)."""
    bytes_written: int
    offset_commits: int
    """Group commits of consumer acks (one atomic offsets-file replacement each)."""
    offset_fsyncs: int
    write_failures: int
    """Group commits of appends that failed (disk full, I/O error): their appends were refused."""
    offset_write_failures: int
    """Group commits of consumer acks that failed (the acks are written by a later one)."""
    writes_refused: bool
    """True while appends are refused after a failed write (until the next try succeeds)."""
    partitions: tuple[PartitionStats, ...]
    lags: tuple[GroupLag, ...]
