"""The node's log: one format per process, and repeats of a line limited.

Much of what a node logs, devices cause: a bad payload, an unknown token, a refused CONNECT,
a message the queue refused while the disk was full. Each is logged where it happens, once
per message. A fleet doing it together wrote thousands of identical lines a second (every
device of a 20-device test wrote one per publish while the disk was full), which costs CPU
and fills the very disk the node needs back. :class:`RepeatLimit`, a filter on the
process's log handlers, lets each line (its logger and message template) through at most
``burst`` times per ``window_s``; the rest are dropped and counted, and the next one let
through says how many were. Different lines never hold each other back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["RepeatLimit", "configure_logging"]

_MAX_LINES = 1000
"""Lines tracked at once: message templates are few, but a caller that formats its own
message makes a new line each time; past this many the counts start again."""


class RepeatLimit(logging.Filter):
    """At most ``burst`` records of one line per ``window_s``; the next one let through
    after a drop tells how many were dropped."""

    def __init__(
        self,
        burst: int = 20,
        window_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._burst = burst
        self._window_s = window_s
        self._clock = clock
        self._lines: dict[tuple[str, str], list[float]] = {}
        """Per line: [start of its window, records let through, records dropped]."""
        self._last: tuple[logging.LogRecord | None, bool] = (None, True)

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` is written (one verdict per record, however many handlers)."""
        last, verdict = self._last
        if record is last:
            return verdict
        verdict = self._verdict(record)
        self._last = (record, verdict)
        return verdict

    def _verdict(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            return True  # an object logged as is (maybe unhashable): not a line to count
        key = (record.name, record.msg)
        now = self._clock()
        line = self._lines.get(key)
        if line is None or now - line[0] >= self._window_s:
            if len(self._lines) >= _MAX_LINES:
                self._lines.clear()
            self._lines[key] = [now, 1, 0]
            if line is not None and line[2]:
                dropped, age = int(line[2]), now - line[0]
                record.msg = f"{record.msg} [{dropped} more like this in the last {age:.0f} s]"
            return True
        if line[1] < self._burst:
            line[1] += 1
            return True
        line[2] += 1
        return False


def configure_logging(level: str, fmt: str) -> None:
    """Log to standard error in ``fmt`` at ``level``, repeats limited."""
    logging.basicConfig(level=level, format=fmt)
    limit = RepeatLimit()
    for handler in logging.getLogger().handlers:
        handler.addFilter(limit)
