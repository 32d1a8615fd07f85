"""Reads of many ids at once: ``IN (…)`` lists of a bounded size.

A read per id costs a statement, a round trip and (on SQLite) a hop to the connection's
thread each; a fleet's worth of them after a restart kept the event loop busy for seconds.
One statement per :data:`IN_LIST_SIZE` ids stays far below both engines' limits on bound
parameters (SQLite 32,766, asyncpg 32,767) and keeps each plan small.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

__all__ = ["IN_LIST_SIZE", "in_lists"]

IN_LIST_SIZE = 500
"""Ids per ``IN (…)`` list."""

_T = TypeVar("_T")


def in_lists(items: Sequence[_T], size: int = IN_LIST_SIZE) -> Iterator[list[_T]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
