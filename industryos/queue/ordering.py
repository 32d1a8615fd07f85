"""Ordered points: where a task's writes have their place and only durability is awaited.

The durable queue and the time-series batch writer both fix the order of a write when it
is *added* to the pending batch (synchronously, in call order) and then wait for the group
commit. A caller that must keep the order of its work items but not wait for each one's
commit (the MQTT connection for one client's publishes, a rule-engine lane for one
originator's messages) runs each item as a task with a callback in its context; the
writer calls :func:`ordered` right after adding, before waiting, and the caller may then
start the next item: whatever that item writes lands behind.

Contract for the writers: call :func:`ordered` only when every write the task does before
its wait has its place (a write that waits for room first must wake in FIFO order, so a
later item cannot overtake it). Contract for the callers: nothing after the point may
depend on being before the next item (see :func:`suspended` for code that must not let
the next item start, e.g. concurrent branches of a rule chain).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

__all__ = ["ordered", "pipelined", "suspended"]

_point: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "industryos_ordered_point", default=None
)


def ordered() -> None:
    """This task's writes so far have their place: a pipelining caller may go on."""
    callback = _point.get()
    if callback is not None:
        callback()


def pipelined(
    callback: Callable[[], None], base: contextvars.Context | None = None
) -> contextvars.Context:
    """A copy of ``base`` (default: the current context) in which :func:`ordered` calls
    ``callback``.

    A caller that starts the next item from the previous item's callback runs inside that
    item's task: it passes a ``base`` taken once, so the next item does not inherit what
    the previous one had set in its context.
    """
    context = contextvars.copy_context() if base is None else base.copy()
    context.run(_point.set, callback)
    return context


class suspended:  # used like a function: ``with suspended():``
    """Within the block (and tasks created in it) :func:`ordered` does nothing.

    A class rather than ``@contextmanager``: the rule engine enters it for every message at
    every node that has successors, and a generator-based manager costs several times more.
    """

    __slots__ = ("_token",)

    def __init__(self) -> None:
        self._token: contextvars.Token[Callable[[], None] | None] | None = None

    def __enter__(self) -> None:
        if _point.get() is not None:
            self._token = _point.set(None)

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _point.reset(self._token)
            self._token = None
