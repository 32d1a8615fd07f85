"""A telemetry listener that is registered *before* a subscription's snapshot is read.

Registering first means no write committed between the snapshot query and the
subscription is lost: events that arrive while the snapshot is being read are held (up
to the session's pending limit) and delivered right after the snapshot message. A point
may therefore arrive twice (in the snapshot and as an update), never zero times.

A listener that pushes the values of the events it gets (``early=True``) hears
time-series points once the batch writer has accepted them, not once they are committed;
the registry also hands it the commits of points accepted before it subscribed, which the
snapshot may have been too early for (:mod:`industryos.telemetry.listeners`). A listener
whose render reads the store again must take committed events (``early=False``).

Per event the work is: one dict lookup in the listener registry, the render function
(a loop over the event's entries, keeping only subscribed keys) and one ``put`` of the
JSON text into the session's outbox; no database access and no awaiting.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from industryos.api.ws.codes import CloseCode, Reason
from industryos.api.ws.errors import SessionClosed
from industryos.telemetry.listeners import TelemetryEvent
from industryos.telemetry.service import TelemetryService

__all__ = ["LiveListener"]

Render = Callable[[TelemetryEvent], str | None]
"""The message for an event, or None when nothing subscribed changed."""


class LiveListener:
    """Listens to one entity's telemetry and sends rendered updates through ``send``."""

    def __init__(
        self,
        telemetry: TelemetryService,
        entity_id: uuid.UUID,
        render: Render,
        send: Callable[[str], bool],
        max_held: int,
        *,
        early: bool,
    ) -> None:
        self._render = render
        self._send = send
        self._max_held = max_held
        self._held: list[TelemetryEvent] | None = []
        self._lost = False
        self._unsubscribe = telemetry.subscribe(self._on_event, entity_id, early=early)

    def _on_event(self, event: TelemetryEvent) -> None:
        held = self._held
        if held is not None:
            if len(held) < self._max_held:
                held.append(event)
            else:
                self._lost = True
            return
        message = self._render(event)
        if message is not None:
            self._send(message)

    def start(self) -> None:
        """The snapshot is out: deliver held events, then push live.

        More events than the session may hold arrived meanwhile: the client could not keep
        up anyway, so the session is dropped as for a full outbox.
        """
        if self._lost:
            raise SessionClosed(CloseCode.POLICY_VIOLATION, Reason.MAX_PENDING)
        held, self._held = self._held or [], None
        for event in held:
            self._on_event(event)

    def close(self) -> None:
        """Stop listening."""
        self._unsubscribe()
