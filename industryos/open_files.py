"""The process's open-file limit: raised to what the system allows before the node serves.

Every device connection is a file descriptor. Linux starts most processes with a soft limit
of 1,024 (systemd's default ``LimitNOFILE`` is 1024:524288, and a login shell's is the
same), and an asyncio server on uvloop that reaches it stops accepting without a word: the
connections past it complete their TCP handshake, wait in the listen queue and time out,
while the node logs nothing. ThingsBoard's JVM raises its soft limit to the hard one at
start (HotSpot's ``MaxFDLimit``); ``industryos run`` does the same before it spawns its
workers (they inherit it), and warns when even the hard limit leaves room for few devices.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import dataclass

__all__ = ["FEW_FILES", "OpenFileLimit", "open_file_limit", "raise_open_file_limit"]

log = logging.getLogger(__name__)

FEW_FILES = 10_000
"""A limit below this is worth a warning: a fleet of that size does not fit."""

_UNLIMITED_CAP = 1_048_576
"""What "unlimited" becomes: Linux refuses a soft limit above ``fs.nr_open`` (this by default)."""


@dataclass(frozen=True, slots=True)
class OpenFileLimit:
    """The soft limit before and after :func:`raise_open_file_limit`."""

    before: int
    after: int


def open_file_limit() -> int | None:
    """This process's soft open-file limit (None when unlimited)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def raise_open_file_limit() -> OpenFileLimit:
    """Raise the soft open-file limit to the hard one, log the outcome and return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _UNLIMITED_CAP if hard == resource.RLIM_INFINITY else hard
    after = soft
    if soft != resource.RLIM_INFINITY and wanted > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            after = wanted
        except (ValueError, OSError) as exc:  # e.g. above fs.nr_open, or macOS's OPEN_MAX
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, wanted, exc)
    limit = OpenFileLimit(soft, after)
    if after != resource.RLIM_INFINITY and after < FEW_FILES:
        log.warning(
            "the open-file limit is %d: each worker process can hold fewer device "
            "connections than that, and connections past it wait unanswered; raise the "
            "hard limit for a larger fleet (ulimit -Hn, or LimitNOFILE= in a systemd unit)",
            after,
        )
    elif after != soft:
        log.info("open-file limit raised from %d to %d", soft, after)
    return limit
