"""Queue settings: how messages are submitted to chains and what happens when they fail.

ThingsBoard's three default rule-engine queues, with its strategy names:

==========================  ==========================  ==============================  =======
queue                       submit strategy             processing strategy             retries
==========================  ==========================  ==============================  =======
``Main``                    BURST                       SKIP_ALL_FAILURES               3
``HighPriority``            BURST                       RETRY_FAILED_AND_TIMED_OUT      0 (∞)
``SequentialByOriginator``  SEQUENTIAL_BY_ORIGINATOR    RETRY_FAILED_AND_TIMED_OUT      3
==========================  ==========================  ==============================  =======

Differences from ThingsBoard, on purpose: strategies apply per message, not per pack; a
timed-out message is cancelled before it is retried (never two copies running); and every
submit strategy keeps the order of one originator's messages (BURST and BATCH run
different originators concurrently; SEQUENTIAL_BY_TENANT and SEQUENTIAL narrow the lane to
the tenant or to the whole partition). The lane key and the retryable outcomes are tables.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum

from industryos.msg import Msg

__all__ = [
    "DEFAULT_QUEUES",
    "LANE_KEYS",
    "RETRIED",
    "Outcome",
    "ProcessingStrategy",
    "QueueSettings",
    "SubmitStrategy",
]


class SubmitStrategy(StrEnum):
    """How a partition's messages are handed to chains (ThingsBoard names)."""

    BURST = "BURST"
    BATCH = "BATCH"
    SEQUENTIAL_BY_ORIGINATOR = "SEQUENTIAL_BY_ORIGINATOR"
    SEQUENTIAL_BY_TENANT = "SEQUENTIAL_BY_TENANT"
    SEQUENTIAL = "SEQUENTIAL"


class ProcessingStrategy(StrEnum):
    """What to do with messages that failed or timed out (ThingsBoard names)."""

    SKIP_ALL_FAILURES = "SKIP_ALL_FAILURES"
    SKIP_ALL_FAILURES_AND_TIMED_OUT = "SKIP_ALL_FAILURES_AND_TIMED_OUT"
    RETRY_ALL = "RETRY_ALL"
    RETRY_FAILED = "RETRY_FAILED"
    RETRY_TIMED_OUT = "RETRY_TIMED_OUT"
    RETRY_FAILED_AND_TIMED_OUT = "RETRY_FAILED_AND_TIMED_OUT"


class Outcome(StrEnum):
    """How one attempt at a message ended."""

    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    TIMEOUT = "TIMEOUT"


LANE_KEYS: dict[SubmitStrategy, Callable[[Msg], Hashable]] = {
    SubmitStrategy.BURST: lambda msg: msg.originator.id.int,
    SubmitStrategy.BATCH: lambda msg: msg.originator.id.int,
    SubmitStrategy.SEQUENTIAL_BY_ORIGINATOR: lambda msg: msg.originator.id.int,
    SubmitStrategy.SEQUENTIAL_BY_TENANT: lambda msg: msg.tenant_id.int,
    SubmitStrategy.SEQUENTIAL: lambda msg: 0,
}
"""Messages with the same lane key run one after another, in queue order. Keys are the ids'
integers: the runner looks a key up four times a message, and an ``int`` hashes and
compares in C where a ``uuid.UUID`` calls its Python ``__hash__`` and ``__eq__``."""

RETRIED: dict[ProcessingStrategy, frozenset[Outcome]] = {
    ProcessingStrategy.SKIP_ALL_FAILURES: frozenset({Outcome.TIMEOUT}),
    ProcessingStrategy.SKIP_ALL_FAILURES_AND_TIMED_OUT: frozenset(),
    ProcessingStrategy.RETRY_ALL: frozenset({Outcome.FAILURE, Outcome.TIMEOUT}),
    ProcessingStrategy.RETRY_FAILED: frozenset({Outcome.FAILURE}),
    ProcessingStrategy.RETRY_TIMED_OUT: frozenset({Outcome.TIMEOUT}),
    ProcessingStrategy.RETRY_FAILED_AND_TIMED_OUT: frozenset({Outcome.FAILURE, Outcome.TIMEOUT}),
}
"""Which outcomes each processing strategy retries."""


@dataclass(frozen=True, slots=True)
class QueueSettings:
    """One rule-engine queue (a topic of the durable queue)."""

    name: str
    submit: SubmitStrategy = SubmitStrategy.BURST
    processing: ProcessingStrategy = ProcessingStrategy.SKIP_ALL_FAILURES
    retries: int = 3
    """Attempts after the first; 0 retries forever."""
    pause_s: float = 3.0
    """Pause before the first retry; doubles per retry up to ``max_pause_s``."""
    max_pause_s: float = 3.0
    timeout_s: float = 10.0
    """A message whose chain has not finished by then is TIMEOUT (and cancelled)."""
    max_in_flight: int = 1024
    """Messages of this queue in chains at once (different lanes), not counting those past
    their ordered point that only wait for a storage commit."""

    def pause(self, attempt: int) -> float:
        """Backoff before retry number ``attempt`` (1-based)."""
        return float(min(self.max_pause_s, self.pause_s * 2.0 ** (attempt - 1)))

    def gives_up(self, outcome: Outcome, attempt: int) -> bool:
        """True when ``outcome`` after ``attempt`` retries is final."""
        if outcome is Outcome.SUCCESS or outcome not in RETRIED[self.processing]:
            return True
        return self.retries > 0 and attempt >= self.retries


DEFAULT_QUEUES: tuple[QueueSettings, ...] = (
    QueueSettings("Main", SubmitStrategy.BURST, ProcessingStrategy.SKIP_ALL_FAILURES, 3, 3, 3),
    QueueSettings(
        "HighPriority",
        SubmitStrategy.BURST,
        ProcessingStrategy.RETRY_FAILED_AND_TIMED_OUT,
        0,
        5,
        5,
    ),
    QueueSettings(
        "SequentialByOriginator",
        SubmitStrategy.SEQUENTIAL_BY_ORIGINATOR,
        ProcessingStrategy.RETRY_FAILED_AND_TIMED_OUT,
        3,
        5,
        5,
    ),
)
