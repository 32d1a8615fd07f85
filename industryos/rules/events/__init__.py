"""Rule-node events: debug IN/OUT, lifecycle, errors and statistics, kept for a TTL."""

from __future__ import annotations

from industryos.rules.events.model import DebugDirection, Event, EventType
from industryos.rules.events.queries import EventQueries
from industryos.rules.events.recorder import DebugMode, RuleEvents
from industryos.rules.events.writer import EventWriter

__all__ = [
    "DebugDirection",
    "DebugMode",
    "Event",
    "EventQueries",
    "EventType",
    "EventWriter",
    "RuleEvents",
]
