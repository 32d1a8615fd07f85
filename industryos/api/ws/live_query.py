"""A subscription that is re-queried when something it depends on may have changed.

:class:`LiveQuery` ties a :class:`~industryos.api.ws.refresh.Refresher` to the change
feeds: entity lifecycle messages and alarm changes of the caller's tenant, and writes of
the telemetry keys a query filters or sorts by. Each listener only pokes the refresher
(no I/O on the write path); the refresh re-runs the SQL query and sends what changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from industryos.api.ws.changes import AlarmChanged
from industryos.api.ws.refresh import Refresher
from industryos.telemetry.listeners import (
    AttributesDeleted,
    AttributesUpdated,
    TelemetryEvent,
    TimeseriesDeleted,
    TimeseriesUpdated,
)

if TYPE_CHECKING:
    from industryos.api.ws.session import WsSession

__all__ = ["LiveQuery", "event_keys"]


def event_keys(event: TelemetryEvent) -> set[str]:
    """The key names a telemetry event touched."""
    if isinstance(event, TimeseriesUpdated | AttributesUpdated):
        return {entry.key for entry in event.entries}
    if isinstance(event, TimeseriesDeleted | AttributesDeleted):
        return set(event.keys)
    return set()


class LiveQuery:
    """Change listeners of one subscription, all poking one refresher."""

    def __init__(self, session: WsSession, refresh: Callable[[], Awaitable[None]]) -> None:
        self._session = session
        self.refresher = Refresher(refresh, session.services.limits.refresh_interval_s)
        self._removers: list[Callable[[], None]] = []

    @property
    def live(self) -> bool:
        """True when at least one feed is listened to."""
        return bool(self._removers)

    def on_entities(self) -> None:
        """Re-query when an entity of the tenant is created, changed or deleted."""
        feed = self._session.services.entity_changes
        if feed is not None:
            poke = self.refresher.poke
            self._removers.append(feed.listen(self._session.caller.tenant_id, lambda _: poke()))

    def on_alarms(self, matches: Callable[[AlarmChanged], bool]) -> None:
        """Re-query when a change of an alarm of the tenant ``matches``."""
        feed = self._session.services.alarm_changes
        if feed is None:
            return

        def changed(event: AlarmChanged) -> None:
            if matches(event):
                self.refresher.poke()

        self._removers.append(feed.listen(self._session.caller.tenant_id, changed))

    def on_telemetry(self, keys: frozenset[str]) -> None:
        """Re-query when a key in ``keys`` of any entity of the tenant is written."""
        if not keys:
            return
        tenant_id = self._session.caller.tenant_id

        def changed(event: TelemetryEvent) -> None:
            if event.tenant_id == tenant_id and not keys.isdisjoint(event_keys(event)):
                self.refresher.poke()

        self._removers.append(self._session.services.telemetry.subscribe(changed, None))

    def start(self) -> None:
        """The first result is out; run pokes from now on."""
        self.refresher.start()

    def close(self) -> None:
        """Stop listening and refreshing."""
        removers, self._removers = self._removers, []
        for remove in removers:
            remove()
        self.refresher.close()
