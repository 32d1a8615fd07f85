"""Why a node cannot start where it was started: one exception the command line answers.

A data dir another node holds, a database that does not accept a connection: neither is a
bug, so ``industryos run`` (and ``migrate``) prints the reason in one line and exits with
status 1 instead of a traceback. The layers that find them raise subclasses.
"""

from __future__ import annotations

__all__ = ["StartRefused"]


class StartRefused(Exception):
    """The node cannot start in this environment; the message says why and what to change."""
