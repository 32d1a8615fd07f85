"""What ``/api/health`` says about a node, and how the answers of its workers combine.

A health check lands on one worker process (the kernel spreads connections over the
workers' sockets), but a load balancer or a supervisor asks about the node: a worker whose
queue refuses device data fails every device whose connection lands on it. So the worker
that is asked answers for all of them (``workers/node_metrics.py`` carries the others'
answers over the bus): the node is DOWN when any worker is DOWN or does not answer,
STARTING while any worker is starting, and UP only when every worker is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DOWN", "STARTING", "UP", "Health", "node_health"]

Status = Literal["UP", "STARTING", "DOWN"]
UP: Status = "UP"
STARTING: Status = "STARTING"
DOWN: Status = "DOWN"


@dataclass(frozen=True, slots=True)
class Health:
    """One process's (or the whole node's) answer; ``reason`` says why it is not UP."""

    status: Status
    reason: str | None = None

    @property
    def http_status(self) -> int:
        """200 when UP, else 503 (so a check that reads only the status code is right)."""
        return 200 if self.status == UP else 503

    def to_wire(self) -> dict[str, Any]:
        """``{"status": ...}``, with ``"reason"`` when there is one."""
        if self.reason is None:
            return {"status": self.status}
        return {"status": self.status, "reason": self.reason}

    @classmethod
    def from_wire(cls, wire: Any) -> Health:
        """The answer another worker sent; anything unreadable counts as DOWN."""
        if isinstance(wire, dict) and wire.get("status") in (UP, STARTING, DOWN):
            reason = wire.get("reason")
            return cls(wire["status"], reason if isinstance(reason, str) else None)
        return cls(DOWN, f"unreadable health answer {wire!r}")


def node_health(answers: Sequence[tuple[int, Health | None]]) -> Health:
    """The node's health from each worker's answer, by worker index (``None``: the worker
    did not answer in time, e.g. it is being restarted); one worker's answer is the node's."""
    if len(answers) == 1 and answers[0][1] is not None:
        return answers[0][1]
    down: list[str] = []
    starting: list[str] = []
    for worker, health in answers:
        if health is None:
            down.append(f"worker {worker} did not answer (stopped or restarting)")
        elif health.status == DOWN:
            down.append(f"worker {worker}: {health.reason or 'down'}")
        elif health.status == STARTING:
            starting.append(f"worker {worker} is starting")
    if down:
        return Health(DOWN, "; ".join(down))
    if starting:
        return Health(STARTING, "; ".join(starting))
    return Health(UP)
