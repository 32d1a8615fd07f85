"""Change feeds the live queries listen to: entity lifecycle and alarm changes, per tenant.

Both are fed from the write path, never by polling. Entity changes are seen where every
entity service announces them: the rule-engine publisher (:class:`EntityChangeTap` wraps
the node's :class:`MsgPublisher` and forwards each message first, so a listener hears
about a change only once it is committed and queued). Alarm changes come from the alarm
service's listener hook (:func:`alarm_feed`). A feed keys listeners by tenant, so an
event of tenant A is never shown to a subscription of tenant B; listeners must be quick
and synchronous (they poke a :class:`~industryos.api.ws.refresh.Refresher`).

In a cluster, :mod:`.cluster` relays both feeds (and the telemetry listeners) between nodes
over the cluster bus.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from industryos.alarms.model import Alarm
from industryos.alarms.service import AlarmService
from industryos.entities.events import MsgPublisher
from industryos.msg import Msg, MsgType

__all__ = ["AlarmChanged", "EntityChangeTap", "EntityChanged", "TenantFeed", "alarm_feed"]

log = logging.getLogger(__name__)

T = TypeVar("T")

ENTITY_CHANGE_TYPES = frozenset(
    t.value
    for t in (
        MsgType.ENTITY_CREATED,
        MsgType.ENTITY_UPDATED,
        MsgType.ENTITY_DELETED,
        MsgType.ENTITY_ASSIGNED,
        MsgType.ENTITY_UNASSIGNED,
        MsgType.RELATION_ADD_OR_UPDATE,
        MsgType.RELATION_DELETED,
    )
)
"""Messages after which the set of entities a filter selects may differ."""


@dataclass(frozen=True, slots=True)
class EntityChanged:
    """An entity was created, updated, deleted, (un)assigned or related."""

    msg: Msg


@dataclass(frozen=True, slots=True)
class AlarmChanged:
    """An alarm was raised, updated, acknowledged, cleared, assigned or deleted."""

    alarm: Alarm
    deleted: bool


class TenantFeed(Generic[T]):
    """Listeners per tenant; :meth:`publish` calls those of the event's tenant only."""

    def __init__(self) -> None:
        self._by_tenant: dict[uuid.UUID, list[Callable[[T], None]]] = {}
        self._all: list[Callable[[uuid.UUID, T], None]] = []

    def listen(self, tenant_id: uuid.UUID, listener: Callable[[T], None]) -> Callable[[], None]:
        """Hear events of ``tenant_id``; returns the remover."""
        self._by_tenant.setdefault(tenant_id, []).append(listener)

        def remove() -> None:
            listeners = self._by_tenant.get(tenant_id, [])
            if listener in listeners:
                listeners.remove(listener)
                if not listeners:
                    del self._by_tenant[tenant_id]

        return remove

    def listen_all(self, listener: Callable[[uuid.UUID, T], None]) -> Callable[[], None]:
        """Hear every tenant's events (the cluster relay); returns the remover."""
        self._all.append(listener)

        def remove() -> None:
            if listener in self._all:
                self._all.remove(listener)

        return remove

    def publish(self, tenant_id: uuid.UUID, event: T) -> None:
        """Deliver ``event`` to the listeners of ``tenant_id`` (and to those of all)."""
        for listener in tuple(self._by_tenant.get(tenant_id, ())):
            try:
                listener(event)
            except Exception:
                log.exception("change listener %r failed", listener)
        for catch_all in tuple(self._all):
            try:
                catch_all(tenant_id, event)
            except Exception:
                log.exception("change listener %r failed", catch_all)

    def __len__(self) -> int:
        return sum(len(listeners) for listeners in self._by_tenant.values())


class EntityChangeTap:
    """A :class:`MsgPublisher` that also feeds entity lifecycle messages to :attr:`feed`."""

    def __init__(self, inner: MsgPublisher) -> None:
        self._inner = inner
        self.feed: TenantFeed[EntityChanged] = TenantFeed()

    async def publish(self, msg: Msg) -> None:
        """Queue ``msg``, then tell the listeners of its tenant if it changes entities."""
        await self._inner.publish(msg)
        if msg.type in ENTITY_CHANGE_TYPES:
            self.feed.publish(msg.tenant_id, EntityChanged(msg))


def alarm_feed(service: AlarmService) -> TenantFeed[AlarmChanged]:
    """A feed of every committed change of ``service``'s alarms."""
    feed: TenantFeed[AlarmChanged] = TenantFeed()

    def changed(alarm: Alarm, deleted: bool) -> None:
        feed.publish(alarm.tenant_id, AlarmChanged(alarm, deleted))

    service.listen(changed)
    return feed
