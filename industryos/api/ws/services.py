"""What the WebSocket layer needs from the node: services, limits and the command table.

The node builds one :class:`WsServices` and :func:`install` puts it on ``app.state``.
:attr:`WsServices.handlers` is the dispatch table from command type to handler; alarm and
notification subscriptions plug in by adding their entries (``ALARM_DATA``,
``NOTIFICATIONS``, …) without touching the session or the endpoint.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import FastAPI

from industryos.alarms.data_query import AlarmDataQueries
from industryos.api.ws.changes import AlarmChanged, EntityChanged, TenantFeed
from industryos.api.ws.codes import CmdType
from industryos.entities.entity_lookup import EntityLookup
from industryos.entities.query import EntityQueryService
from industryos.notify.inbox import Inbox
from industryos.telemetry.service import TelemetryService

if TYPE_CHECKING:
    from industryos.api.ws.commands import Command
    from industryos.api.ws.session import WsSession

__all__ = ["STATE_ATTRIBUTE", "Handler", "WsLimits", "WsServices", "WsStats", "install"]

STATE_ATTRIBUTE = "ws"
"""The ``app.state`` attribute holding the :class:`WsServices`."""

Handler = Callable[["WsSession", "Command"], Awaitable[None]]
"""Runs one command of a session (replies go through ``session.send``)."""


@dataclass(frozen=True, slots=True)
class WsLimits:
    """Per-session limits (ThingsBoard's ``server.ws.*`` settings)."""

    auth_timeout_s: float = 10.0
    """Time to send the auth command before the session is closed with 1008."""
    max_pending: int = 1000
    """Messages waiting for a slow client before it is dropped with 1008."""
    max_subscriptions: int = 1000
    """Subscriptions per session; one more closes the session with 1008."""
    max_entities_per_data_sub: int = 1000
    """Page size an ENTITY_DATA subscription may follow (``allowedEntities``)."""
    close_timeout_s: float = 5.0
    """How long a close frame may wait for a stuck client before the socket is dropped."""
    max_entities_per_alarm_sub: int = 1000
    """Entities an ALARM_DATA/ALARM_COUNT subscription searches alarms of."""
    refresh_interval_s: float = 1.0
    """Live counts, dynamic pages and alarm pages are re-queried at most this often."""


@dataclass(slots=True)
class WsStats:
    """Session counters of this node (for metrics and tests)."""

    opened: int = 0
    closed: int = 0
    dropped_slow: int = 0

    @property
    def active(self) -> int:
        """Sessions currently open."""
        return self.opened - self.closed


@dataclass(slots=True)
class WsServices:
    """The services, limits and command handlers shared by every session."""

    lookup: EntityLookup
    telemetry: TelemetryService
    entity_query: EntityQueryService
    limits: WsLimits = field(default_factory=WsLimits)
    handlers: dict[CmdType, Handler] = field(default_factory=dict)
    stats: WsStats = field(default_factory=WsStats)
    notifications: Inbox | None = None
    """The WEB notification inbox (NOTIFICATIONS commands); None on a node without it."""
    alarm_queries: AlarmDataQueries | None = None
    """ALARM_DATA / ALARM_COUNT; None on a node without alarms."""
    alarm_changes: TenantFeed[AlarmChanged] | None = None
    """Committed alarm changes (alarm subscriptions are one-shot without it)."""
    entity_changes: TenantFeed[EntityChanged] | None = None
    """Entity lifecycle changes (counts and dynamic pages are one-shot without it)."""

    def __post_init__(self) -> None:
        if not self.handlers:
            from industryos.api.ws.dispatch import default_handlers

            self.handlers = default_handlers()


def install(app: FastAPI, services: WsServices) -> None:
    """Mount the WebSocket endpoints on ``app`` and hand them ``services``."""
    from industryos.api.ws.endpoint import router

    setattr(app.state, STATE_ATTRIBUTE, services)
    app.include_router(router)
